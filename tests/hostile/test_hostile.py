"""Against a deployment that trickles, bombs or answers absurdly, a check (through the web view),
a deploy, a count and a health batch each end within their deadline with a categorised failure
(never `internal_error`), and the process's memory grows by a few MB at most.

Every purpose gets a call deadline of DEADLINE seconds and a unit deadline of UNIT seconds here;
time bounds add generous slack (the machine is slow and shared), memory bounds are what a capped
reader may hold (the caps are 4 MiB at most for these purposes), far below an uncapped one's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import package, transitions
from byod.clients import Purpose, client_for_credentials
from byod.models import Connection, Deployment
from byod.services.contents import count_documents
from byod.services.deploys.push import _encoded as push_body_of
from byod.services.deploys.run import request_deploy, run_deploy
from byod.services.health import check_in_process
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment
from tests.hostile.measure import MB, measured
from tests.hostile.server import MODES, HostileServers, instance_name

# The hostile servers listen on 127.0.0.1; a check treats them as deployments on a public
# address would be (on a private one, every failure before Convex answers reads the same:
# tests/core/test_private_check.py), so that what each abuse comes to is seen here.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_emulator_hosts", "as_if_public"),
]

DEADLINE = 2.0
UNIT = 3.0
SLACK = 8.0
PYTHON_PEAK_LIMIT = 8 * MB
RSS_GROWTH_LIMIT = 32 * MB
FLOWS = ("check", "deploy", "count", "health")

WORKER_FLOWS_REFUSE = {"deploy": "protocol_error", "count": "protocol_error", "health": "drift"}
EXPECTED: dict[str, dict[str, str | None]] = {
    "trickle": dict.fromkeys(FLOWS, "timeout"),
    "silent": dict.fromkeys(FLOWS, "timeout"),
    "gzip_bomb": dict.fromkeys(FLOWS, "answer_too_large"),
    "brotli_bomb": dict.fromkeys(FLOWS, "answer_too_large"),
    "huge_body": dict.fromkeys(FLOWS, "answer_too_large"),
    "huge_error": dict.fromkeys(FLOWS, "server_error"),
    "huge_name": dict.fromkeys(FLOWS, "answer_too_large"),
    # 100,000 deep is 200 kB: over the cap of small answers (a key check, a count) already;
    # a deploy reads it (a start_push answer may be large) and refuses its depth.
    "deep_json": {**dict.fromkeys(FLOWS, "answer_too_large"), "deploy": "protocol_error"},
    "nan": dict.fromkeys(FLOWS, "protocol_error"),
    "infinity": dict.fromkeys(FLOWS, "protocol_error"),
    "big_int": dict.fromkeys(FLOWS, "protocol_error"),
    # 1e308 is a number: a check has no count to refuse; a count, a version record or an index
    # count of 1e308 is refused (and a health probe calls that drift: not our version record).
    "big_float": {**WORKER_FLOWS_REFUSE, "check": None},
    # The key echoed is taken out: the check passes, showing a table named "[redacted]".
    "echo_key": {**WORKER_FLOWS_REFUSE, "check": None},
}
# The most calls a flow makes before it fails, each bounded by DEADLINE (a unit: by UNIT).
BOUNDS = {"check": UNIT, "deploy": 3 * DEADLINE, "count": UNIT, "health": UNIT}


@pytest.fixture(scope="module", autouse=True)
def artifacts_loaded() -> None:
    """A process parses and serializes the push artifact once, at its first deploy (several
    MB, kept for every later deploy): done before any measurement."""
    version = package.current_version()
    push_body_of(version, False)
    push_body_of(version, True)


@pytest.fixture(autouse=True)
def short_deadlines(settings: Any) -> None:
    for purpose in ("CHECK", "DEPLOY", "HEALTH", "COUNT"):
        setattr(settings, f"BYOD_{purpose}_CALL_SECONDS", DEADLINE)
        setattr(settings, f"BYOD_{purpose}_READ_SECONDS", DEADLINE)
        setattr(settings, f"BYOD_{purpose}_TOTAL_SECONDS", 0 if purpose == "DEPLOY" else UNIT)


def hostile_connection(user: User, hostile: HostileServers, mode: str) -> Connection:
    name = instance_name(mode)
    return make_connection(
        user,
        name=name,
        url=hostile.url(mode),
        key=self_hosted_key(name),
        deployed_version=1,
        deployed_package_hash="a" * 64,
    )


def check(user: User, hostile: HostileServers, mode: str) -> tuple[str | None, str]:
    web = Client()
    web.force_login(user)
    name = instance_name(mode)
    response = web.post(
        reverse("byod:check"), {"url": hostile.url(mode), "deploy_key": self_hosted_key(name)}
    )
    assert response.status_code in (200, 422)
    result = response.context["check"]
    return (result.error.category if result.error else None), response.content.decode()


def deploy(user: User, hostile: HostileServers, mode: str) -> tuple[str | None, str]:
    connection = hostile_connection(user, hostile, mode)
    Connection.objects.filter(pk=connection.pk).update(deployed_version=None)
    connection.refresh_from_db()
    queued = request_deploy(connection, trigger="admin")
    run_deploy(queued.pk)
    done = Deployment.objects.get(pk=queued.pk)
    return done.error_category or None, f"{done.log}\n{done.error_message}"


def count(user: User, hostile: HostileServers, mode: str) -> tuple[str | None, str]:
    connection = hostile_connection(user, hostile, mode)
    Connection.objects.filter(pk=connection.pk).update(count_requested_at=timezone.now())
    count_documents(connection.pk)
    connection.refresh_from_db()
    return connection.count_error or None, str(connection.table_counts)


def health(user: User, hostile: HostileServers, mode: str) -> tuple[str | None, str]:
    connection = hostile_connection(user, hostile, mode)
    checked, _ = check_in_process(Connection.objects.filter(pk=connection.pk))
    assert checked == 1
    connection.refresh_from_db()
    return (
        connection.health_reason or None,
        f"{connection.health_message} {connection.health_detail}",
    )


RUN: dict[str, Callable[[User, HostileServers, str], tuple[str | None, str]]] = {
    "check": check,
    "deploy": deploy,
    "count": count,
    "health": health,
}


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("mode", MODES)
def test_each_flow_ends_in_time_with_a_category_and_bounded_memory(
    owner: User, hostile: HostileServers, mode: str, flow: str
) -> None:
    hostile.url(mode)  # started (and its bomb built) before the measurement
    with measured() as cost:
        category, shown = RUN[flow](owner, hostile, mode)
    print(f"\n{mode:>12} {flow:>7}: {category or 'no failure'}; {cost}")
    assert category == EXPECTED[mode][flow]
    assert category != "internal_error"
    assert cost.seconds < BOUNDS[flow] + SLACK
    assert cost.python_peak < PYTHON_PEAK_LIMIT, cost
    assert cost.rss_growth < RSS_GROWTH_LIMIT, cost
    assert_no_canary(shown)  # echoed or not, the key is never kept or shown


def test_a_huge_instance_name_is_never_echoed_into_the_page(
    owner: User, hostile: HostileServers
) -> None:
    _, page = check(owner, hostile, "huge_name")
    assert "nnnnnnnnnn" not in page
    assert len(page) < 100_000


def test_a_key_echoed_as_a_table_name_shows_redacted(owner: User, hostile: HostileServers) -> None:
    category, page = check(owner, hostile, "echo_key")
    assert category is None
    assert "[redacted]" in page
    assert_no_canary(page)


def test_a_trickling_deployment_does_not_delay_another_thread_s_call(
    hostile: HostileServers, canary_deployment: EmulatorDeployment, settings: Any
) -> None:
    settings.BYOD_HEALTH_CALL_SECONDS = settings.BYOD_HEALTH_READ_SECONDS = 6.0
    settings.BYOD_HEALTH_TOTAL_SECONDS = 6.0
    trickle_url, trickle_key = hostile.url("trickle"), self_hosted_key(instance_name("trickle"))
    slow: dict[str, Any] = {}

    def call_the_trickle() -> None:
        with client_for_credentials(trickle_url, trickle_key, purpose=Purpose.HEALTH) as client:
            started = time.monotonic()
            try:
                client.check_admin_key()
            except Exception as error:  # recorded for the assertion
                slow["error"] = error
            slow["seconds"] = time.monotonic() - started

    stuck = threading.Thread(target=call_the_trickle)
    stuck.start()
    time.sleep(0.3)  # the trickle has started answering
    started = time.monotonic()
    url, key = canary_deployment.url, canary_deployment.admin_key
    for _ in range(3):
        with client_for_credentials(url, key, purpose=Purpose.HEALTH) as client:
            assert client.check_admin_key()["success"] is True
    healthy_seconds = time.monotonic() - started
    assert stuck.is_alive(), "the trickling call should still be waiting"
    stuck.join(timeout=30)
    assert healthy_seconds < 3.0
    assert slow["error"].category == "timeout"
    assert 5.0 < slow["seconds"] < 6.0 + SLACK


def test_a_health_batch_records_each_outcome_without_waiting_for_a_trickle(
    deployed_connection: Connection,
    other_user: User,
    hostile: HostileServers,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.BYOD_HEALTH_CALL_SECONDS = settings.BYOD_HEALTH_READ_SECONDS = 5.0
    settings.BYOD_HEALTH_TOTAL_SECONDS = 5.0
    trickling = hostile_connection(other_user, hostile, "trickle")
    recorded: list[tuple[float, list[int]]] = []
    real = transitions.record_probes

    def spy(claim: str, probes: list[Any]) -> Any:
        recorded.append((time.monotonic(), [p.connection_id for p in probes]))
        return real(claim, probes)

    monkeypatch.setattr(transitions, "record_probes", spy)
    started = time.monotonic()
    check_in_process(
        Connection.objects.filter(pk__in=[deployed_connection.pk, trickling.pk]), concurrency=2
    )
    ids_in_order = [ids for _, ids in recorded]
    assert ids_in_order == [[deployed_connection.pk], [trickling.pk]]
    assert recorded[0][0] - started < 3.0  # recorded about a second after it was done
    assert recorded[1][0] - started >= 5.0  # the trickle ended at its deadline
    deployed_connection.refresh_from_db()
    trickling.refresh_from_db()
    assert deployed_connection.health == "healthy"
    assert trickling.health_reason == "timeout"
