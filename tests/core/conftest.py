from __future__ import annotations

import os
import socket

import pytest
from django.test import override_settings


def new_key(key_id: str) -> tuple[str, bytes]:
    return key_id, os.urandom(32)


@pytest.fixture
def key_ring():
    """Replace the key ring for one test; returns a function that installs a new ring."""
    overrides: list[override_settings] = []

    def install(*ring: tuple[str, bytes]) -> None:
        o = override_settings(BYOD_ENCRYPTION_KEYS=list(ring))
        o.enable()
        overrides.append(o)

    yield install
    for o in reversed(overrides):
        o.disable()


@pytest.fixture
def fake_dns(monkeypatch):
    """Answer getaddrinfo from a dict host -> addresses; unknown hosts do not resolve."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for address in table[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table
