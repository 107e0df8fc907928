"""Committed build artifacts, one directory per package version (needs Python only).

byod/builds/v<N>/push_request.json is the exact `start_push` body the Convex CLI wrote for
version N, without `adminKey`; manifest.json holds its sha256 (the package hash) and more.
From version 2 on, expanded_push_request.json is the same functions with the expanded schema
(accepting the documents of every supported version up to N), and the manifest lists the
version's data migrations and the way back to N-1. They are written by `manage.py byod_build`;
never edit them by hand.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from byod.errors import ArtifactError

BUILDS_DIR = Path(__file__).resolve().parent
__all__ = [
    "ArtifactError",
    "available_versions",
    "expanded_hash",
    "load_artifact",
    "manifest",
    "package_hash",
]
PUSH_REQUEST = "push_request.json"
EXPANDED_PUSH_REQUEST = "expanded_push_request.json"


def version_dir(version: int) -> Path:
    """Where the artifact of `version` lives."""
    return BUILDS_DIR / f"v{int(version)}"


def available_versions() -> list[int]:
    """Versions that have a committed artifact, ascending."""
    return sorted(int(p.name[1:]) for p in BUILDS_DIR.glob("v*") if (p / "manifest.json").is_file())


@cache
def manifest(version: int) -> dict[str, Any]:
    """The manifest of `version`: version, package_hash, files (name -> sha256), fingerprint."""
    path = version_dir(version) / "manifest.json"
    if not path.is_file():
        raise ArtifactError(f"no build for version {version} (run `manage.py byod_build`).")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def package_hash(version: int) -> str:
    """sha256 (hex) of the committed push request of `version`: identifies what is deployed."""
    value: str = manifest(version)["package_hash"]
    return value


def expanded_hash(version: int) -> str:
    """sha256 of the expanded push request of `version`; ArtifactError when it has none."""
    expanded = manifest(version).get("expanded")
    if not expanded:
        raise ArtifactError(f"version {version} has no expanded build (run byod_build).")
    value: str = expanded["package_hash"]
    return value


def load_artifact(version: int, *, expanded: bool = False) -> dict[str, Any]:
    """The `start_push` body of `version` (its expanded one with `expanded`) without
    `adminKey`; a fresh dict on each call.

    Raises ArtifactError when the file is missing or its sha256 is not the manifest's.
    """
    raw = _raw(version, EXPANDED_PUSH_REQUEST if expanded else PUSH_REQUEST)
    body: dict[str, Any] = json.loads(raw)
    return body


@cache
def _raw(version: int, name: str = PUSH_REQUEST) -> bytes:
    path = version_dir(version) / name
    if not path.is_file():
        raise ArtifactError(f"no {name} for version {version} at {path}.")
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != manifest(version)["files"].get(name):
        raise ArtifactError(f"{path} does not match its manifest; rebuild with byod_build.")
    return raw
