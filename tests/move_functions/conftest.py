"""Package v4's move functions on the emulator, driven by `Transfer` over real HTTP: a main
deployment holding two owners' content (thousands of documents with references across
tables and within one) and an own deployment, both running the committed artifact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from byod import builds
from byod.client import ConvexClient
from byod.clients import Purpose, client_for_credentials
from byod.package.version import CURRENT_VERSION, MOVE_FUNCTIONS_SINCE
from byod.services.moves.transfer import Transfer
from tests.emulator.convex_cli import push
from tests.fixtures.emulator import Emulator, EmulatorDeployment

ALICE = "0b7d3c59-3f4e-4a43-9d0e-5f1b1c2a0a01"
BOB = "6f0c8e12-9a51-4b7e-8c3d-2e4f5a6b7c02"


@dataclass
class Side:
    """A deployment running the current package and a data-worker client of it."""

    deployment: EmulatorDeployment
    client: ConvexClient

    def docs(self, table: str) -> list[dict[str, Any]]:
        return self.deployment.documents(table)

    def by_id(self, table: str) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d for d in self.docs(table)}


@dataclass
class Seeded:
    """What `seed` wrote for one owner: table -> ids, in creation order."""

    ids: dict[str, list[str]] = field(default_factory=dict)

    def total(self) -> int:
        return sum(len(v) for v in self.ids.values())


def _deployed(emulator: Emulator) -> Iterator[Side]:
    deployment = emulator.create_deployment()
    try:
        with httpx.Client(timeout=120) as http:
            outcome = push(
                http, deployment.url, deployment.admin_key, builds.load_artifact(CURRENT_VERSION)
            )
        assert outcome["statuses"][-1] == {"type": "complete"}, outcome
        client = client_for_credentials(
            deployment.url, deployment.admin_key, purpose=Purpose.DATA_WORKER
        )
        with client:
            yield Side(deployment, client)
    finally:
        emulator.delete_deployment(deployment.name)


@pytest.fixture
def main(convex_emulator: Emulator, allow_emulator_hosts: None) -> Iterator[Side]:
    assert CURRENT_VERSION >= MOVE_FUNCTIONS_SINCE
    yield from _deployed(convex_emulator)


@pytest.fixture
def own(convex_emulator: Emulator, allow_emulator_hosts: None) -> Iterator[Side]:
    yield from _deployed(convex_emulator)


def transfer(source: Side, destination: Side | None, owner: str = ALICE, **kw: Any) -> Transfer:
    return Transfer(
        source=source.client,
        destination=None if destination is None else destination.client,
        owner=owner,
        move_id=kw.pop("move_id", uuid.uuid4().hex),
        **kw,
    )


def seed(side: Side, owner: str, *, conversations: int, messages: int) -> Seeded:
    """Conversations with `messages` each (each a reply to the one before: parentMessageId),
    a tool call on every other message and a source on every third, notes, tags and the links
    between them. Inserted unchecked in bulk (as an import would), so thousands take seconds."""
    dep = side.deployment
    out = Seeded()
    tag = owner[:4]
    out.ids["conversations"] = dep.insert_many(
        "conversations",
        [
            {
                "userId": owner,
                "title": f"{tag} c{i}",
                "isArchived": False,
                "isPinned": i == 0,
                "createdAt": float(i),
                "updatedAt": float(i),
            }
            for i in range(conversations)
        ],
    )
    # One bulk insert per position in the conversations, each a reply to the one before.
    rows: list[list[str]] = []
    parents: list[str | None] = [None] * conversations
    for m in range(messages):
        docs = []
        for c, conversation_id in enumerate(out.ids["conversations"]):
            doc: dict[str, Any] = {
                "conversationId": conversation_id,
                "userId": owner,
                "role": "user",
                "content": f"{tag} c{c} m{m}",
                "createdAt": float(m),
                "updatedAt": float(m),
                "metadata": {"n": m, "tags": ["a", "b"]},
            }
            if parents[c] is not None:
                doc["parentMessageId"] = parents[c]
            docs.append(doc)
        row = dep.insert_many("messages", docs)
        parents = list(row)
        rows.append(row)
    messages_ids = [mid for row in rows for mid in row]
    out.ids["messages"] = messages_ids
    out.ids["toolCalls"] = dep.insert_many(
        "toolCalls",
        [
            {
                "messageId": mid,
                "toolName": f"{tag} t{i}",
                "toolArgs": {"q": i},
                "status": "complete",
                "createdAt": 1.0,
            }
            for i, mid in enumerate(messages_ids)
            if i % 2 == 0
        ],
    )
    out.ids["sources"] = dep.insert_many(
        "sources",
        [
            {"messageId": mid, "url": f"https://example.com/{tag}/{i}", "createdAt": 1.0}
            for i, mid in enumerate(messages_ids)
            if i % 3 == 0
        ],
    )
    out.ids["notes"] = dep.insert_many(
        "notes",
        [
            {
                "userId": owner,
                "title": f"{tag} n{i}",
                "content": "text",
                "createdAt": 1.0,
                "updatedAt": 1.0,
            }
            for i in range(conversations * 2)
        ],
    )
    out.ids["tags"] = dep.insert_many(
        "tags",
        [
            {"userId": owner, "name": f"{tag} g{i}", "scope": "user", "createdAt": 1.0}
            for i in range(5)
        ],
    )
    tags = out.ids["tags"]
    out.ids["noteTags"] = dep.insert_many(
        "noteTags",
        [
            {"noteId": nid, "tagId": tags[i % 5], "userId": owner, "createdAt": float(i)}
            for i, nid in enumerate(out.ids["notes"])
        ],
    )
    out.ids["conversationTags"] = dep.insert_many(
        "conversationTags",
        [
            {"conversationId": cid, "tagId": tags[i % 5], "userId": owner, "createdAt": float(i)}
            for i, cid in enumerate(out.ids["conversations"])
        ],
    )
    return out


def copy_all(t: Transfer) -> dict[str, int]:
    """Every table copied then fixed, as the job does; table -> documents written."""
    written: dict[str, int] = {}
    for table in t.tables():
        cursor, written[table] = t.copy_batch(table, None)
        while cursor is not None:
            cursor, n = t.copy_batch(table, cursor)
            written[table] += n
    for table in t.tables():
        cursor, _ = t.fix_batch(table, None)
        while cursor is not None:
            cursor, _ = t.fix_batch(table, cursor)
    return written
