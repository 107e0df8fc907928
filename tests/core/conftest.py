from __future__ import annotations

import base64
import os
import socket

import pytest
from django.test import override_settings

from accounts.models import User

# A deploy key shaped like the real thing, easy to find if it ever leaks.
CANARY_KEY = "prod:happy-otter-123|CANARYc2VjcmV0LXRva2VuLWZvci10ZXN0cw=="
CANARY_MARK = "CANARY"


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", "alice@example.com", "pw-alice-123456")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", "bob@example.com", "pw-bob-123456")


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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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
