"""Check connection / Connect and deploy / Update credentials, against emulated deployments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from byod import package
from byod.models import Connection, ConnectionStatus, Deployment
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.connections import (
    FOREIGN_TABLES,
    make_connection,
    offer_to_everyone,
    push_foreign_project,
)
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_emulator_hosts"),
]
HTMX = {"HX-Request": "true"}


def test_it_checks_working_credentials_without_saving_them(
    owner: User, canary_deployment: EmulatorDeployment
) -> None:
    response = client_for(owner).post(
        reverse("byod:check"),
        {"url": canary_deployment.url, "deploy_key": canary_deployment.admin_key},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The connection works." in html
    assert "ready to connect" in html
    assert_no_canary(html)
    assert not Connection.objects.exists()


def test_it_answers_a_check_with_htmx_with_the_form_partial(
    owner: User, convex_deployment: EmulatorDeployment
) -> None:
    response = client_for(owner).post(
        reverse("byod:check"),
        {"url": convex_deployment.url, "deploy_key": convex_deployment.admin_key},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#connect-form"
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="connect-form"')
    assert "The connection works." in html
    assert 'hx-preserve="true"' in html  # keeps the typed key across the swap


def test_it_shows_a_refused_key_inline_with_what_to_do(
    owner: User, convex_deployment: EmulatorDeployment
) -> None:
    key = self_hosted_key(convex_deployment.name)  # the right shape, refused
    for headers in ({}, HTMX):
        response = client_for(owner).post(
            reverse("byod:connect"),
            {"url": convex_deployment.url, "deploy_key": key},
            headers=headers,
        )
        assert response.status_code == (200 if headers else 422)
        html = response.content.decode()
        form = response.context["form"]
        assert "refused the deploy key" in form.errors["deploy_key"][0]
        assert "Create a new deploy key in the Convex dashboard" in html
        assert_no_canary(html)
    assert not Connection.objects.exists()
    assert convex_deployment.pushes() == []


@pytest.mark.usefixtures("as_if_public")
def test_it_names_the_instance_a_key_belongs_to(
    owner: User, convex_emulator: Emulator, convex_deployment: EmulatorDeployment
) -> None:
    other = convex_emulator.create_deployment()
    try:
        response = client_for(owner).post(
            reverse("byod:check"), {"url": convex_deployment.url, "deploy_key": other.admin_key}
        )
    finally:
        convex_emulator.delete_deployment(other.name)
    assert response.status_code == 422
    assert other.name in response.context["form"].errors["deploy_key"][0]


def test_it_connects_saves_the_key_encrypted_and_starts_the_deploy(
    owner: User, canary_deployment: EmulatorDeployment
) -> None:
    response = client_for(owner).post(
        reverse("byod:connect"),
        {"url": canary_deployment.url, "deploy_key": canary_deployment.admin_key},
    )
    assert response.status_code == 302 and response["Location"] == reverse("byod:settings")
    connection = Connection.objects.get(user=owner)
    assert connection.status == ConnectionStatus.DEPLOYING
    assert connection.deployment_name == canary_deployment.name
    assert_no_canary(connection.key_ciphertext)
    deployment = Deployment.objects.get(connection=connection)
    assert deployment.status == "queued" and deployment.trigger == "user"
    page = client_for(owner).get(reverse("byod:settings")).content.decode()
    assert 'data-state="deploying"' in page and "Deploying version" in page
    assert_no_canary(page)


def test_it_connects_with_htmx_and_answers_with_the_progress_panel(
    owner: User, canary_deployment: EmulatorDeployment
) -> None:
    response = client_for(owner).post(
        reverse("byod:connect"),
        {"url": canary_deployment.url, "deploy_key": canary_deployment.admin_key},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#byod-state"
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert_no_canary(html)


def test_it_warns_about_another_projects_tables_before_pushing_anything(
    owner: User, convex_deployment: EmulatorDeployment
) -> None:
    push_foreign_project(convex_deployment)
    pushes_before = len(convex_deployment.pushes())
    tables = FOREIGN_TABLES
    form = {"url": convex_deployment.url, "deploy_key": convex_deployment.admin_key}

    response = client_for(owner).post(reverse("byod:connect"), form)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This deployment is not empty." in html
    assert all(f"<code>{table}</code>" in html for table in tables)
    assert 'name="confirm_foreign"' in html
    assert not Connection.objects.exists()
    assert len(convex_deployment.pushes()) == pushes_before

    response = client_for(owner).post(reverse("byod:connect"), {**form, "confirm_foreign": "on"})
    assert response.status_code == 302
    assert Connection.objects.get(user=owner).status == ConnectionStatus.DEPLOYING


BAD_INPUTS = [
    {},
    {"url": "", "deploy_key": ""},
    {"url": "not a url", "deploy_key": "x"},
    {"url": "ftp://quiet-lynx-417.convex.cloud", "deploy_key": "prod:quiet-lynx-417|abc"},
    {"url": "https://quiet-lynx-417.convex.cloud:8443", "deploy_key": "prod:x|y"},
    {"url": "https://user:pw@quiet-lynx-417.convex.cloud", "deploy_key": "prod:x|y"},
    {"url": "https://quiet-lynx-417.convex.cloud/api?x=1#f", "deploy_key": "prod:a|b"},
    {"url": "http://169.254.169.254/latest", "deploy_key": "abc|0123456789abcdef0123"},
    {"url": "http://localhost:22", "deploy_key": "abc|0123456789abcdef0123"},
    {"url": "https://[::1]/", "deploy_key": "abc|0123456789abcdef0123"},
    {"url": "https://quiet-lynx-417.convex.cloud", "deploy_key": "prod:other-name|" + "a" * 40},
    {"url": "https://quiet-lynx-417.convex.cloud", "deploy_key": "\x00" * 10},
    {"url": "https://ü.convex.cloud", "deploy_key": "prod:ü|" + "ü" * 30},
    {"url": "https://" + "a" * 300 + ".convex.cloud", "deploy_key": "k" * 5000},
    {"url": "https://quiet-lynx-417.convex.cloud", "deploy_key": "prod:quiet-lynx-417|short"},
    {"url": ["https://a.convex.cloud", "https://b.convex.cloud"], "deploy_key": "x"},
    {"url": "https://quiet-lynx-417.convex.cloud", "deploy_key": "k", "confirm_foreign": "x" * 99},
]


@pytest.mark.parametrize("name", ["check", "connect", "credentials"])
@pytest.mark.parametrize("data", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_it_answers_bad_input_with_field_errors_never_a_server_error(
    owner: User, name: str, data: dict[str, object]
) -> None:
    if name == "credentials":
        make_connection(owner)
    for headers in ({}, HTMX):
        response = client_for(owner).post(reverse(f"byod:{name}"), data, headers=headers)
        assert response.status_code in (200, 422), response.content[:500]
        assert response.context["form"].errors
    assert Deployment.objects.count() == 0


def test_it_updates_credentials_after_checking_them(
    owner: User, convex_deployment: EmulatorDeployment
) -> None:
    connection = make_connection(owner, deployed_version=None, status=ConnectionStatus.ERROR)
    response = client_for(owner).get(reverse("byod:credentials"))
    assert response.status_code == 200
    assert 'value="https://quiet-lynx-417.convex.cloud"' in response.content.decode()
    response = client_for(owner).post(
        reverse("byod:credentials"),
        {"url": convex_deployment.url, "deploy_key": convex_deployment.admin_key},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.url == convex_deployment.url
    assert connection.deployment_name == convex_deployment.name
    assert connection.status == ConnectionStatus.DEPLOYING


def test_it_redeploys_from_the_connected_state(owner: User) -> None:
    connection = make_connection(owner)
    response = client_for(owner).post(reverse("byod:redeploy"), headers=HTMX)
    assert response.status_code == 200
    assert 'data-state="deploying"' in response.content.decode()
    deployment = Deployment.objects.get(connection=connection)
    assert (deployment.trigger, deployment.status, deployment.from_version) == ("user", "queued", 1)
    # A second click while it runs does not queue another one.
    client_for(owner).post(reverse("byod:redeploy"))
    assert Deployment.objects.filter(connection=connection).count() == 1


def test_redeploy_of_a_version_without_a_build_says_so_instead_of_failing(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = make_connection(owner)
    monkeypatch.setattr(package.version, "CURRENT_VERSION", 99)  # no byod/builds/v99
    offer_to_everyone(99)
    for headers in ({}, HTMX):
        response = client_for(owner).post(reverse("byod:redeploy"), headers=headers, follow=True)
        assert response.status_code == 200
        assert "This version cannot be deployed right now" in response.content.decode()
    assert not Deployment.objects.filter(connection=connection).exists()
