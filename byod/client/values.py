"""Numbers and texts a deployment sent, checked before anything stores or shows them.

A deployment is chosen by the user and may answer anything: a count of 10^30 documents, a
100 MB instance name, a version record of another shape. Each check here passes a value we can
store and show, or raises a `protocol_error` naming what was wrong (never the value itself).
"""

from __future__ import annotations

import re
from typing import Any

from byod.errors import PROTOCOL_ERROR, ConvexError

# The largest count we accept: every integer up to here is exact in a float64 (Convex's number).
MAX_COUNT = 2**53
SHOWN_TEXT = 200
# Our package's versions and its hashes (sha256 of the artifact, byod.builds).
MAX_VERSION = 1_000_000
_HASH = re.compile(r"[0-9a-f]{64}")


def count(value: Any, what: str) -> int:
    """`value` as a count: a whole number from 0 to 2^53."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer is not a count")
    if not 0 <= value <= MAX_COUNT:
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer is not a count from 0 to 2^53")
    if value != int(value):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer is not a whole number")
    return int(value)


def shown_text(value: Any, what: str, limit: int = SHOWN_TEXT) -> str:
    """`value` as a short text fit to show: stripped, cut to `limit` characters, printable."""
    if not isinstance(value, str):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer is not text")
    text = value.strip()[:limit].strip()
    if not text:
        raise ConvexError(PROTOCOL_ERROR, f"{what}: empty answer")
    if not text.isprintable():
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer holds characters that cannot be shown")
    return text


def version_record(value: Any, what: str = "meta:get") -> dict[str, Any] | None:
    """Our package's version record (`meta:get`): None, or a version from 1 to 1,000,000, a
    sha256 in hex and a time in milliseconds."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: answer is not a version record")
    version = value.get("schemaVersion")
    if isinstance(version, bool) or not isinstance(version, int | float):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: the version is not a number")
    if not (1 <= version <= MAX_VERSION and version == int(version)):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: the version is not one of ours")
    digest = value.get("packageHash")
    if not (isinstance(digest, str) and _HASH.fullmatch(digest)):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: the package hash is not a sha256")
    deployed_at = value.get("deployedAt")
    if isinstance(deployed_at, bool) or not isinstance(deployed_at, int | float | None):
        raise ConvexError(PROTOCOL_ERROR, f"{what}: the deploy time is not a number")
    if deployed_at is not None and not 0 <= deployed_at <= MAX_COUNT:
        raise ConvexError(PROTOCOL_ERROR, f"{what}: the deploy time is out of range")
    return {"schemaVersion": int(version), "packageHash": digest, "deployedAt": deployed_at}
