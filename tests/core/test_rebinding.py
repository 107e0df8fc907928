"""The server connects to the address the SSRF guard checked, not to a second DNS answer."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from byod.client import ConvexClient
from byod.errors import ConvexError, UnsafeDestination
from byod.guard import guard_destination
from byod.inputs import parse_url

CLOUD = "https://happy-otter-123.convex.cloud"
HOST = "happy-otter-123.convex.cloud"


class Rebinding:
    """A resolver whose answers for HOST change from one lookup to the next, and a record of
    every address a socket was asked to connect to (no connection is ever made)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
        self.answers = list(answers)
        self.lookups = 0
        self.connected_to: list[str] = []
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", self.create_connection)

    def getaddrinfo(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == HOST:
            address = self.answers[min(self.lookups, len(self.answers) - 1)]
            self.lookups += 1
        else:
            address = host  # an address literal resolves to itself
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    def create_connection(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        host, port = address
        for *_, sockaddr in self.getaddrinfo(host, port):
            self.connected_to.append(sockaddr[0])
        raise ConnectionRefusedError("no network in this test")


def test_it_connects_to_the_vetted_address_when_dns_answers_differently_the_second_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns = Rebinding(monkeypatch, "3.220.1.10", "127.0.0.1")
    with ConvexClient(parse_url(CLOUD), "prod:happy-otter-123|" + "a" * 40) as client:
        with pytest.raises(ConvexError) as caught:
            client.check_admin_key()
    assert caught.value.category == "unreachable"
    assert dns.connected_to == ["3.220.1.10"]


def test_it_connects_to_nothing_when_the_first_answer_is_internal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns = Rebinding(monkeypatch, "127.0.0.1", "3.220.1.10")
    with ConvexClient(parse_url(CLOUD), "prod:happy-otter-123|" + "a" * 40) as client:
        with pytest.raises(UnsafeDestination):
            client.check_admin_key()
    assert dns.connected_to == []


@pytest.mark.parametrize(
    "address",
    [
        "192.0.0.1",  # IETF protocol assignments (192.0.0.0/24)
        "192.0.0.9",  # port control anycast: "global" for ipaddress, still not a deployment
        "192.0.0.170",  # NAT64/DNS64 discovery
        "192.0.2.5",  # TEST-NET-1
        "198.18.0.1",  # benchmarking
        "198.51.100.7",  # TEST-NET-2
        "203.0.113.9",  # TEST-NET-3
        "3fff::1",  # documentation (3fff::/20)
        "2001:db8::1",  # documentation
        "100::1",  # discard-only
        "2001:2::1",  # benchmarking
        "64:ff9b:1::1",  # local-use NAT64
        "5f00::1",  # SRv6 SIDs
    ],
)
def test_it_refuses_special_purpose_ranges(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    Rebinding(monkeypatch, address)
    with pytest.raises(UnsafeDestination):
        guard_destination(parse_url(CLOUD))
