"""Tiny typed readers for settings that come from the environment.

Each reader fails loudly with ImproperlyConfigured instead of guessing; a
``NAME_FILE`` variant lets secrets come from a mounted file (Docker/K8s secrets).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``; None when neither is set.

    Never logs or echoes the value.
    """
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_name!r}, which cannot be read ({exc.strerror})."
            ) from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE points at an empty file.")
        return value
    value = os.environ.get(name, "").strip()
    return value or None


def require_secret(name: str, *, why: str) -> str:
    value = env_secret(name)
    if value is None:
        raise ImproperlyConfigured(
            f"Set {name} (or {name}_FILE). {why} There is deliberately no default."
        )
    return value


def parse_encryption_keys(raw: str) -> list[tuple[str, bytes]]:
    """Parse ``BYOD_ENCRYPTION_KEYS``: comma-separated ``key_id:base64(32 bytes)``.

    The first key encrypts; every key decrypts. Key ids must be unique.
    """
    ring: list[tuple[str, bytes]] = []
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"BYOD_ENCRYPTION_KEYS entry {position} must look like 'keyid:base64key' "
                "(key id: letters, digits, - or _, up to 32 characters)."
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"BYOD_ENCRYPTION_KEYS key {key_id!r} is not valid base64."
            ) from None
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"BYOD_ENCRYPTION_KEYS key {key_id!r} must decode to 32 bytes (AES-256), "
                f"not {len(key)}."
            )
        if any(existing == key_id for existing, _ in ring):
            raise ImproperlyConfigured(f"BYOD_ENCRYPTION_KEYS has key id {key_id!r} twice.")
        ring.append((key_id, key))
    if not ring:
        raise ImproperlyConfigured("BYOD_ENCRYPTION_KEYS holds no key.")
    return ring


def new_encryption_key_entry(key_id: str) -> str:
    """A fresh ``key_id:base64`` entry, for the quick start and for rotations."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"
