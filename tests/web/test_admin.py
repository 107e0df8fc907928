"""The operators' admin: staff only, no keys, constant query counts, actions via the services."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import package
from byod.models import ConnectionStatus, Deployment, Event
from byod.transitions import record
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection, make_deployment
from tests.fixtures.people import client_for, make_user

pytestmark = [pytest.mark.django_db]

CHANGELIST = "admin:byod_connection_changelist"


def many_connections(n: int) -> None:
    for i in range(n):
        user = make_user(f"user{i:04d}")
        status = [ConnectionStatus.CONNECTED, ConnectionStatus.ERROR, ConnectionStatus.DEPLOYING][
            i % 3
        ]
        make_connection(
            user,
            name=f"deploy-{i:04d}",
            status=status,
            last_error_category="timeout" if status == ConnectionStatus.ERROR else "",
            deployed_version=package.current_version() if i % 2 else None,
            last_deploy_at=timezone.now(),
        )


def changelist_queries(client: object, params: str = "") -> int:
    with CaptureQueriesContext(db) as queries:
        response = client.get(reverse(CHANGELIST) + params)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", [CHANGELIST, "admin:byod_deployment_changelist"])
def test_it_keeps_non_staff_out_of_the_admin(
    owner_client: Client, anonymous_client: Client, name: str
) -> None:
    response = owner_client.get(reverse(name))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    anonymous = anonymous_client.get(reverse(name))
    assert anonymous.status_code == 302


def test_it_lists_connections_with_versions_status_and_failures(staff: User, owner: User) -> None:
    make_connection(
        owner,
        status=ConnectionStatus.ERROR,
        last_error_category="bad_credentials",
        consecutive_failures=3,
        deployed_version=None,
    )
    html = client_for(staff).get(reverse(CHANGELIST)).content.decode()
    for text in ("owner", "quiet-lynx-417", "Error", "bad_credentials"):
        assert text in html
    assert "Users per deployed version" in html
    assert "Failing, by error category" in html
    assert "1 failing" in html and "1 outdated" in html


def test_it_never_shows_the_key_not_even_its_ciphertext(staff: User, owner: User) -> None:
    connection = make_connection(owner)
    client = client_for(staff)
    for url in (
        reverse(CHANGELIST),
        reverse("admin:byod_connection_change", args=[connection.pk]),
    ):
        html = client.get(url).content.decode()
        assert_no_canary(html)
        assert connection.key_ciphertext[:16] not in html
        assert "key_ciphertext" not in html


def test_its_query_count_does_not_grow_with_the_number_of_connections(
    staff_client: Client,
) -> None:
    many_connections(1)
    one = changelist_queries(staff_client)
    many_connections_more = 199
    for i in range(many_connections_more):
        user = make_user(f"more{i:04d}")
        make_connection(user, name=f"more-{i:04d}", deployed_version=i % 4 or None)
    two_hundred = changelist_queries(staff_client)
    print(f"changelist queries: 1 row={one}, 200 rows={two_hundred}")
    assert one == two_hundred, (one, two_hundred)
    # The filtered lists too.
    assert changelist_queries(staff_client, "?outdated=yes") == changelist_queries(
        staff_client, "?outdated=no"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("?status__exact=error", {"deploy-0001"}),
        ("?error=timeout", {"deploy-0001"}),
        ("?error=none", {"deploy-0000", "deploy-0002"}),
        ("?outdated=yes", {"deploy-0000", "deploy-0002"}),
        (f"?version={package.current_version()}", {"deploy-0001"}),
        ("?version=none", {"deploy-0000", "deploy-0002"}),
        ("?q=user0002", {"deploy-0002"}),
        ("?q=deploy-0000", {"deploy-0000"}),
    ],
)
def test_it_filters_and_searches(staff: User, params: str, expected: set[str]) -> None:
    many_connections(3)
    response = client_for(staff).get(reverse(CHANGELIST) + params)
    shown = {c.deployment_name for c in response.context["cl"].result_list}
    assert shown == expected


def test_its_deploy_action_queues_through_the_services_and_reports_counts(
    staff: User, owner: User, other_user: User
) -> None:
    a = make_connection(owner, name="aaa")
    b = make_connection(other_user, name="bbb", status=ConnectionStatus.DEPLOYING)
    make_deployment(b, status="running")
    gone = make_connection(
        make_user("gone"),
        name="ccc",
        status=ConnectionStatus.DISCONNECTED,
        key_ciphertext="",
        key_id="",
    )
    response = client_for(staff).post(
        reverse(CHANGELIST),
        {"action": "deploy_current_version", "_selected_action": [a.pk, b.pk, gone.pk]},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "1 queued" in text and "1 already in progress" in text
    assert "1 skipped (disconnected)" in text
    queued = Deployment.objects.get(connection=a)
    assert (queued.trigger, queued.status, queued.dry_run) == ("admin", "queued", False)
    assert queued.requested_by == staff
    assert not Deployment.objects.filter(connection=gone).exists()


def test_its_dry_run_action_queues_a_dry_run(staff: User, owner: User) -> None:
    a = make_connection(owner)
    client_for(staff).post(
        reverse(CHANGELIST), {"action": "dry_run", "_selected_action": [a.pk]}, follow=True
    )
    deployment = Deployment.objects.get(connection=a)
    assert deployment.dry_run and deployment.trigger == "admin"
    a.refresh_from_db()
    assert a.status == ConnectionStatus.CONNECTED  # a dry run does not touch the connection


def test_it_shows_latest_attempts_and_events_inline(staff: User, owner: User) -> None:
    connection = make_connection(owner)
    for i in range(8):
        make_deployment(connection, to_version=1, error_message=f"attempt-{i}")
    record(connection, "test.event", "something happened")
    html = (
        client_for(staff)
        .get(reverse("admin:byod_connection_change", args=[connection.pk]))
        .content.decode()
    )
    assert "attempt-7" in html and "attempt-3" in html
    assert "attempt-2" not in html  # only the latest five
    assert "something happened" in html


def test_its_deployment_list_is_read_only_and_newest_first(staff: User, owner: User) -> None:
    connection = make_connection(owner)
    first = make_deployment(connection, error_message="first")
    second = make_deployment(connection, error_message="second", error_category="timeout")
    client = client_for(staff)
    response = client.get(reverse("admin:byod_deployment_changelist"))
    assert [d.pk for d in response.context["cl"].result_list] == [second.pk, first.pk]
    filtered = client.get(reverse("admin:byod_deployment_changelist") + "?error=timeout")
    assert [d.pk for d in filtered.context["cl"].result_list] == [second.pk]
    change = client.post(
        reverse("admin:byod_deployment_change", args=[first.pk]), {"status": "failed"}
    )
    assert change.status_code == 403
    first.refresh_from_db()
    assert first.status == "succeeded"
    assert client.get(reverse("admin:byod_deployment_add")).status_code == 403
    assert Event.objects.count() == 0
