"""check_credentials against real emulated deployments (tests/emulator/server.mjs)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from byod.errors import ConvexError
from byod.inputs import InputError
from byod.services.connections import check_credentials
from tests.fixtures.emulator import Emulator, EmulatorDeployment

pytestmark = pytest.mark.usefixtures("allow_emulator_hosts")


def test_it_accepts_the_deployments_own_admin_key(convex_deployment: EmulatorDeployment) -> None:
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert check.ok, check.message
    assert check.error is None
    assert check.deployment_name == convex_deployment.name
    assert check.foreign_tables == []
    assert check.url is not None and check.url.url == convex_deployment.url


def test_it_refuses_a_wrong_key_for_the_right_instance(
    convex_deployment: EmulatorDeployment,
) -> None:
    wrong = f"{convex_deployment.name}|{secrets.token_hex(24)}"
    check = check_credentials(convex_deployment.url, wrong)
    assert not check.ok
    assert isinstance(check.error, ConvexError)
    assert check.error.category == "bad_credentials"
    assert "deploy key" in check.message


@pytest.mark.usefixtures("as_if_public")
def test_it_refuses_a_key_for_another_deployment(
    convex_emulator: Emulator, convex_deployment: EmulatorDeployment
) -> None:
    other = convex_emulator.create_deployment()
    try:
        check = check_credentials(convex_deployment.url, other.admin_key)
    finally:
        convex_emulator.delete_deployment(other.name)
    assert isinstance(check.error, InputError)
    assert check.error.field == "deploy_key"
    assert f"for instance {other.name!r}" in check.message
    assert convex_deployment.name in check.message


def test_it_refuses_a_revoked_key(convex_deployment: EmulatorDeployment) -> None:
    convex_deployment.set_fault("check_admin_key", revoked_key=True)
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert isinstance(check.error, ConvexError)
    assert check.error.category == "bad_credentials"


@pytest.mark.usefixtures("as_if_public")
def test_it_reports_a_failing_deployment_as_retryable(
    convex_deployment: EmulatorDeployment,
) -> None:
    convex_deployment.set_fault("check_admin_key", status=503, body="upstream down")
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert isinstance(check.error, ConvexError)
    assert (check.error.category, check.error.retryable) == ("server_error", True)


@pytest.mark.usefixtures("as_if_public")
def test_it_times_out_on_a_hanging_deployment(settings, convex_deployment) -> None:
    settings.BYOD_CHECK_READ_SECONDS = 0.5
    convex_deployment.set_fault("check_admin_key", hang=True)
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert isinstance(check.error, ConvexError)
    assert check.error.category == "timeout"


@pytest.fixture
def redirector(convex_deployment: EmulatorDeployment) -> Iterator[str]:
    """A local server that answers every request with a redirect to the real deployment."""

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", convex_deployment.url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.usefixtures("as_if_public")
def test_it_does_not_follow_a_redirect(redirector: str, convex_deployment) -> None:
    # Following it would reach a deployment that accepts the key; we must refuse instead.
    check = check_credentials(redirector, convex_deployment.admin_key)
    assert not check.ok
    assert isinstance(check.error, ConvexError)
    assert check.error.category == "protocol_error"
    assert "redirect" in check.error.detail


def test_it_lists_tables_of_another_project(convex_deployment: EmulatorDeployment) -> None:
    import httpx

    from tests.emulator.convex_cli import push, push_request

    with httpx.Client(timeout=60) as client:
        outcome = push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert outcome["finish"] is not None
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert check.ok
    assert check.foreign_tables == ["notes", "tags"]


def test_it_refuses_the_emulator_without_the_allow_list(settings, convex_deployment) -> None:
    settings.BYOD_ALLOWED_HOSTS = []
    check = check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert isinstance(check.error, InputError)
    assert check.error.field == "url"
    assert "Plain http:// is refused" in check.message


class Listener:
    """A local server that answers 404 to everything and records each connection and request."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        self.requests: list[str] = []
        listener = self

        class Record(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        class Server(HTTPServer):
            def verify_request(self, request: object, client_address: tuple[str, int]) -> bool:
                listener.connections.append(client_address)
                return True

        self.server = Server(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    made = Listener()
    thread = threading.Thread(target=made.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.server.shutdown()
        made.server.server_close()


def test_it_refuses_bad_input_without_calling_out(listener: Listener) -> None:
    check = check_credentials(listener.url, "not a key")
    assert isinstance(check.error, InputError)
    assert check.error.field == "deploy_key"
    # A call is synchronous: had one gone out, the server would have answered it by now.
    assert (listener.connections, listener.requests) == ([], [])
    # The same check with a well-formed key does reach it: the listener sees calls.
    check_credentials(listener.url, "demo|" + "0123456789abcdef" * 2)
    assert listener.connections and listener.requests
