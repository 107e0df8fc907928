"""Fixtures of the moves' tests: those of the data plane's tests (servers that count callers,
a fresh breaker), and two emulated deployments running our package, the main one and the
owner's own, with content of two users written straight into the main one.

Content is written with the emulator's control API (as an import would), thousands of documents
in a few calls; `Content` remembers what was written so that a test can find every document
again after a move by what it holds, not by its id (ids change when a move copies).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from accounts.models import User
from byod import builds
from byod.models import Connection
from byod.package.version import CURRENT_VERSION
from tests.data.conftest import fresh_breaker, listener
from tests.emulator.convex_cli import push
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import make_user

__all__ = ["Content", "Pair", "fresh_breaker", "listener", "pair", "seed"]

_names = itertools.count()


@dataclass
class Pair:
    main: EmulatorDeployment
    own: EmulatorDeployment
    main_connection: Connection
    own_connection: Connection


def deployment_with_package(emulator: Emulator) -> EmulatorDeployment:
    created = emulator.create_deployment(backfill_ms=0)
    with httpx.Client(timeout=60) as http:
        outcome = push(http, created.url, created.admin_key, builds.load_artifact(CURRENT_VERSION))
    assert outcome["statuses"][-1] == {"type": "complete"}, outcome
    return created


def connection_to(user: User, deployment: EmulatorDeployment, **fields: Any) -> Connection:
    return make_connection(
        user,
        name=deployment.name,
        key=deployment.admin_key,
        url=deployment.url,
        deployed_version=CURRENT_VERSION,
        **fields,
    )


@pytest.fixture
def pair(
    owner: User, convex_emulator: Emulator, allow_emulator_hosts: None, settings: Any
) -> Iterator[Pair]:
    settings.BYOD_MOVE_SETTLE_SECONDS = 0.0
    settings.BYOD_MOVE_BATCH_SIZE = 50
    settings.BYOD_MOVE_RETRY_SECONDS = 0.05
    main = deployment_with_package(convex_emulator)
    own = deployment_with_package(convex_emulator)
    system = make_user(f"main-system-{next(_names)}")
    made = Pair(main, own, connection_to(system, main, is_main=True), connection_to(owner, own))
    try:
        yield made
    finally:
        convex_emulator.delete_deployment(main.name)
        convex_emulator.delete_deployment(own.name)


@dataclass
class Content:
    """What `seed` wrote for one owner: conversations, messages in reply chains (each message's
    `parentMessageId` is the one before it) and a tool call on every fifth message."""

    owner: str
    conversations: int
    messages: int
    tool_calls: int
    texts: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.conversations + self.messages + self.tool_calls


def seed(
    deployment: EmulatorDeployment,
    user: User | tuple[str, str],
    *,
    conversations: int = 5,
    per_conversation: int = 20,
) -> Content:
    """Content of `user` (or of an (external id, name) pair) written into `deployment`."""
    owner, tag = (str(user.external_id), user.get_username()) if isinstance(user, User) else user
    conv_ids = deployment.insert_many(
        "conversations",
        [
            {
                "userId": owner,
                "title": f"{tag}-c{c}",
                "isArchived": False,
                "isPinned": False,
                "createdAt": 1.0,
                "updatedAt": 1.0,
                "lastMessageAt": 1.0,
            }
            for c in range(conversations)
        ],
    )
    content = Content(owner, conversations, conversations * per_conversation, 0)
    parents: list[str | None] = [None] * conversations
    for k in range(per_conversation):
        docs = []
        for c, conv in enumerate(conv_ids):
            text = f"{tag}-c{c}-m{k}"
            content.texts.add(text)
            doc: dict[str, Any] = {
                "conversationId": conv,
                "userId": owner,
                "role": "user",
                "content": text,
                "createdAt": float(k),
                "updatedAt": 1.0,
            }
            if parents[c] is not None:
                doc["parentMessageId"] = parents[c]
            docs.append(doc)
        ids = deployment.insert_many("messages", docs)
        parents = list(ids)
        if k % 5 == 0:
            deployment.insert_many(
                "toolCalls",
                [
                    {
                        "messageId": m,
                        "toolName": f"t-{tag}-{c}-{k}",
                        "toolArgs": {"q": "x"},
                        "status": "complete",
                        "createdAt": 1.0,
                    }
                    for c, m in enumerate(ids)
                ],
            )
            content.tool_calls += len(ids)
    return content


def owned(deployment: EmulatorDeployment, content: Content) -> dict[str, list[dict[str, Any]]]:
    """The owner's conversations, messages and tool calls on `deployment` (by their owner, and
    tool calls by their message's)."""
    conversations = [
        d for d in deployment.documents("conversations") if d["userId"] == content.owner
    ]
    messages = [d for d in deployment.documents("messages") if d["userId"] == content.owner]
    ids = {m["_id"] for m in messages}
    tool_calls = [d for d in deployment.documents("toolCalls") if d["messageId"] in ids]
    return {"conversations": conversations, "messages": messages, "toolCalls": tool_calls}


def assert_all_there_once(deployment: EmulatorDeployment, content: Content) -> None:
    """Every document `seed` wrote is on `deployment` exactly once, every reference pointing at
    the document it pointed at before (found again by what it holds)."""
    found = owned(deployment, content)
    messages = found["messages"]
    assert len(found["conversations"]) == content.conversations
    assert sorted(m["content"] for m in messages) == sorted(content.texts)
    by_id = {m["_id"]: m for m in messages}
    titles = {c["_id"]: c["title"] for c in found["conversations"]}
    for m in messages:
        tag, conv, k = m["content"].rsplit("-", 2)
        assert titles[m["conversationId"]] == f"{tag}-{conv}"
        if k == "m0":
            assert "parentMessageId" not in m
        else:
            parent = by_id[m["parentMessageId"]]
            assert parent["content"] == f"{tag}-{conv}-m{int(k[1:]) - 1}"
    assert len(found["toolCalls"]) == content.tool_calls
    for call in found["toolCalls"]:
        _, tag, c, k = call["toolName"].split("-", 3)
        assert by_id[call["messageId"]]["content"] == f"{tag}-c{c}-m{k}"


def count_owned(deployment: EmulatorDeployment, content: Content) -> int:
    return sum(len(docs) for docs in owned(deployment, content).values())
