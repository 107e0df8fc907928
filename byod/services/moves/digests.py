"""Digests of a table's documents: a count and an order-independent hash of their content.

Each document (as encoded JSON, without `_id` and `_creationTime`, references written as the
source's ids) is hashed on its own with sha256 over its canonical JSON (sorted keys, no
spaces); the digest is the sum of those hashes modulo 2**256. A sum does not depend on the
order pages arrive in, and a missing, doubled or changed document changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MODULUS = 2**256
SYSTEM_FIELDS = ("_id", "_creationTime")
ZERO = f"{0:064x}"  # the sum of no document


@dataclass(frozen=True)
class Digest:
    """How many documents, and the hex sha256 sum of their content."""

    count: int
    sha256: str


def document_hash(doc: Mapping[str, Any]) -> int:
    """The sha256 of one document's content (system fields left out), as an integer."""
    content = {k: v for k, v in doc.items() if k not in SYSTEM_FIELDS}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


class Accumulator:
    """Adds documents page by page; `digest()` is the result so far (and, given to a new
    Accumulator, where to go on from)."""

    def __init__(self, start: Digest | None = None) -> None:
        self.count = start.count if start is not None else 0
        self.total = int(start.sha256, 16) if start is not None else 0

    def add(self, docs: Iterable[Mapping[str, Any]]) -> None:
        for doc in docs:
            self.count += 1
            self.total = (self.total + document_hash(doc)) % MODULUS

    def digest(self) -> Digest:
        return Digest(self.count, f"{self.total:064x}")
