"""Admin auth as Convex does it: `Authorization: Convex <key>` or adminKey in push bodies."""

from __future__ import annotations

import pytest

from tests.emulator.convex_cli import push_request

ADMIN_ENDPOINTS = [
    ("GET", "/api/check_admin_key"),
    ("GET", "/api/streaming_import/get_schema"),
    ("GET", "/api/shapes2"),
    ("POST", "/api/get_config_hashes"),
    ("POST", "/api/deploy2/start_push"),
    ("POST", "/api/deploy2/evaluate_push"),
    ("POST", "/api/deploy2/evaluate_schema"),
    ("POST", "/api/deploy2/wait_for_schema"),
    ("POST", "/api/deploy2/finish_push"),
    ("POST", "/api/deploy2/report_push_completed"),
]


def body_for(path: str, key: str | None) -> dict:
    body: dict = {}
    if path.startswith(("/api/deploy2/start_push", "/api/deploy2/evaluate_")):
        body = {**push_request(), "dryRun": False}
    if key is not None:
        body["adminKey"] = key
    return body


def request(client, dep, method, path, *, header_key=None, body_key=None):
    headers = {"Authorization": f"Convex {header_key}"} if header_key else {}
    if method == "GET":
        return client.get(dep.url + path, headers=headers)
    return client.post(dep.url + path, json=body_for(path, body_key), headers=headers)


def assert_refused(response, dep):
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "BadDeployKey"
    assert f"invalid for deployment '{dep.name}'" in body["message"]


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_it_refuses_a_missing_key(client, convex_deployment, method, path):
    assert_refused(request(client, convex_deployment, method, path), convex_deployment)


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_it_refuses_a_wrong_key(client, convex_deployment, method, path):
    wrong = convex_deployment.admin_key[:-4] + "beef"
    response = request(client, convex_deployment, method, path, header_key=wrong, body_key=wrong)
    assert_refused(response, convex_deployment)


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_it_refuses_a_key_for_another_deployment(
    client, convex_emulator, convex_deployment, method, path
):
    other = convex_emulator.create_deployment()
    try:
        response = request(
            client,
            convex_deployment,
            method,
            path,
            header_key=other.admin_key,
            body_key=other.admin_key,
        )
        assert_refused(response, convex_deployment)
    finally:
        convex_emulator.delete_deployment(other.name)


def test_it_accepts_the_key_in_the_header(client, convex_deployment):
    response = client.get(
        convex_deployment.url + "/api/check_admin_key",
        headers={"Authorization": f"Convex {convex_deployment.admin_key}"},
    )
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response.json()["isReadOnly"] is False


def test_it_accepts_the_key_in_a_push_body(client, convex_deployment):
    body = {**push_request(), "adminKey": convex_deployment.admin_key, "dryRun": True}
    response = client.post(convex_deployment.url + "/api/deploy2/start_push", json=body)
    assert response.status_code == 200


def test_version_and_instance_name_need_no_key(client, convex_deployment):
    assert client.get(convex_deployment.url + "/version").status_code == 200
    instance = client.get(convex_deployment.url + "/instance_name")
    assert instance.text == convex_deployment.name
    assert convex_deployment.admin_key.startswith(convex_deployment.name + "|")


def test_each_deployment_has_its_own_origin(convex_emulator, convex_deployment):
    other = convex_emulator.create_deployment()
    try:
        assert other.url != convex_deployment.url
        assert other.url.startswith("http://127.0.0.1:")
        assert other.url.count("/") == 2  # an origin, no path
    finally:
        convex_emulator.delete_deployment(other.name)


def test_a_new_admin_key_replaces_the_old_one(client, convex_deployment):
    old = convex_deployment.admin_key
    convex_deployment.set_admin_key(convex_deployment.name + "|" + "ab" * 32)
    url = convex_deployment.url + "/api/check_admin_key"
    assert client.get(url, headers={"Authorization": f"Convex {old}"}).status_code == 403
    new = {"Authorization": f"Convex {convex_deployment.admin_key}"}
    assert client.get(url, headers=new).status_code == 200
