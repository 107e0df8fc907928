"""A request target the emulator cannot parse is answered 400, and the process keeps serving.

Sent over a raw connection (http.client), since httpx would re-encode a malformed %-escape. The
emulator here is a fresh one, so a crash cannot take the session's emulator down with it.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.fixtures.emulator import Emulator, start_emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emulator = start_emulator(("solo", "solo|0a0a"))
    try:
        yield emulator
    finally:
        emulator.stop()


def raw_get(base_url: str, target: str) -> tuple[int, dict[str, object]]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.mark.parametrize(
    "target",
    [
        "/_emulator/deployments/%zz",  # not an escape at all
        "/_emulator/deployments/%E0%A4",  # an escape, but not UTF-8
        "/_emulator/%",
        "//",  # not a path the URL parser takes
    ],
)
def test_the_control_api_answers_a_malformed_target_with_400(emulator, target):
    status, body = raw_get(emulator.url, target)
    assert status == 400
    assert body["code"] == "BadRequest"
    assert emulator.process.poll() is None
    assert raw_get(emulator.url, "/_emulator/health") == (200, {"ok": True, "deployments": 1})


def test_a_deployment_answers_an_unparsable_target_with_400(emulator):
    url = emulator.deployments()[0]["url"]
    status, body = raw_get(url, "//")
    assert status == 400
    assert body["code"] == "BadRequest"
    assert emulator.process.poll() is None
    assert raw_get(url, "/api/%zz")[0] == 404  # Convex's paths are not decoded
