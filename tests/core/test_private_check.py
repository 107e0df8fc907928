"""Check connection on an allow-listed private address (the development allow-list,
`http://127.0.0.1:*`): until Convex itself answers, a closed port, an open one that speaks
something else, another web server and a Convex instance that the key is not for all read the
same, and take as long (no port scan of the server's network through the form)."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse

from accounts.models import User
from byod.errors import ConvexError, InputError
from byod.services import connections
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_emulator_hosts")]

PADDED = 1.0  # PRIVATE_CHECK_SECONDS, shortened for the test


@pytest.fixture(autouse=True)
def short_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "PRIVATE_CHECK_SECONDS", PADDED)


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def serving(server: socketserver.BaseServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Banner(socketserver.BaseRequestHandler):
    """Another service on an open port: says hello in its own protocol, then waits."""

    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        self.request.settimeout(5)
        try:
            self.request.recv(1024)
        except OSError:
            pass


def web_server(status: int, body: bytes) -> HTTPServer:
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    return HTTPServer(("127.0.0.1", 0), Answer)


@pytest.fixture
def destinations(
    convex_emulator: Emulator, convex_deployment: EmulatorDeployment
) -> Iterator[dict[str, tuple[str, str]]]:
    """Each way not to reach a Convex deployment of the key: (url, key)."""
    other = convex_emulator.create_deployment()
    key = other.admin_key  # well formed; for `other`, which none of these is
    banner = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Banner)
    banner.daemon_threads = True
    servers = {
        "banner": banner,
        "web 404": web_server(404, b"<h1>Not Found</h1>"),
        "web 200": web_server(200, b"hello from an internal dashboard"),
        "web 503": web_server(503, b"upstream down"),
    }
    running = {name: serving(server) for name, server in servers.items()}
    try:
        found = {name: (next(urls), key) for name, urls in running.items()}
        found["closed port"] = (closed_port(), key)
        found["another instance"] = (convex_deployment.url, key)
        yield found
    finally:
        for urls in running.values():
            next(urls, None)
        convex_emulator.delete_deployment(other.name)


def test_every_failure_before_convex_answers_reads_the_same_and_takes_as_long(
    destinations: dict[str, tuple[str, str]],
) -> None:
    seen = {}
    for name, (url, key) in destinations.items():
        started = time.monotonic()
        check = connections.check_credentials(url, key)
        took = time.monotonic() - started
        assert took >= PADDED, (name, took)
        assert isinstance(check.error, InputError), (name, check.error)
        seen[name] = (check.ok, check.error.field, check.error.category, check.message)
    assert len(set(seen.values())) == 1, seen
    assert next(iter(seen.values())) == (False, "url", "unreachable", connections.NOT_REACHED)


def test_the_page_answers_them_alike(owner: User, destinations: dict[str, tuple[str, str]]) -> None:
    web = client_for(owner)
    answers = set()
    for url, key in destinations.values():
        response = web.post(reverse("byod:check"), {"url": url, "deploy_key": key})
        errors = response.context["form"].errors.as_data()
        answers.add((response.status_code, tuple(sorted(errors)), str(errors["url"][0].message)))
    assert answers == {(422, ("url",), connections.NOT_REACHED)}


def test_what_convex_itself_answers_is_still_said(convex_deployment: EmulatorDeployment) -> None:
    wrong = f"{convex_deployment.name}|{'0' * 48}"
    check = connections.check_credentials(convex_deployment.url, wrong)
    assert isinstance(check.error, ConvexError)
    assert check.error.category == "bad_credentials"
    assert connections.check_credentials(convex_deployment.url, convex_deployment.admin_key).ok
