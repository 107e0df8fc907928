"""The package's data functions on the emulator: the committed artifact pushed over real HTTP,
called with the deploy key through the product's own client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from byod import builds
from byod.client import ConvexClient
from byod.clients import Purpose, client_for_credentials
from byod.errors import ConvexError
from byod.package.version import CURRENT_VERSION
from tests.emulator.convex_cli import push
from tests.fixtures.emulator import EmulatorDeployment

# Two users' external ids (accounts.User.external_id is a UUID, written as its str()).
ALICE = "0b7d3c59-3f4e-4a43-9d0e-5f1b1c2a0a01"
BOB = "6f0c8e12-9a51-4b7e-8c3d-2e4f5a6b7c02"
FIRST_PAGE = {"numItems": 10, "cursor": None}


@dataclass
class Data:
    """Calls of `data/<table>:<fn>` on one deployment, as `owner`."""

    client: ConvexClient
    deployment: EmulatorDeployment

    def query(self, table: str, fn: str, owner: str, **args: Any) -> Any:
        return self.client.query(f"data/{table}:{fn}", {"owner": owner, **args})

    def mutation(self, table: str, fn: str, owner: str, **args: Any) -> Any:
        args.setdefault("opId", uuid.uuid4().hex)
        return self.client.mutation(f"data/{table}:{fn}", {"owner": owner, **args})

    def insert(self, table: str, owner: str, doc: dict[str, Any]) -> str:
        result = self.mutation(table, "insert", owner, doc=doc)
        new_id: str = result["id"]
        return new_id

    def refused(self, table: str, fn: str, owner: str, **args: Any) -> str:
        """Calls a function expected to fail with a ConvexError; returns its category."""
        call = self.mutation if fn in ("insert", "patch", "remove") else self.query
        with pytest.raises(ConvexError) as caught:
            call(table, fn, owner, **args)
        return str(caught.value.category)

    def invisible(self, table: str, doc_id: str, *, to: str) -> bool:
        """Whether `to` can neither read, change nor remove the document."""
        return (
            self.query(table, "get", to, id=doc_id) is None
            and self.refused(table, "patch", to, id=doc_id, fields={}) == "not_found"
            and self.refused(table, "remove", to, id=doc_id) == "not_found"
        )


@pytest.fixture
def data(convex_deployment: EmulatorDeployment, allow_emulator_hosts: None) -> Iterator[Data]:
    """A fresh deployment running the current package, and a client of it."""
    request = builds.load_artifact(CURRENT_VERSION)
    with httpx.Client(timeout=60) as http:
        outcome = push(http, convex_deployment.url, convex_deployment.admin_key, request)
    assert outcome["statuses"][-1] == {"type": "complete"}, outcome
    client = client_for_credentials(
        convex_deployment.url, convex_deployment.admin_key, purpose=Purpose.DATA_WORKER
    )
    with client:
        yield Data(client, convex_deployment)


def conversation(**fields: Any) -> dict[str, Any]:
    return {"isArchived": False, "isPinned": False, "createdAt": 1.0, "updatedAt": 1.0, **fields}


def message(conversation_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "conversationId": conversation_id,
        "role": "user",
        "content": "hello",
        "createdAt": 1.0,
        "updatedAt": 1.0,
        **fields,
    }


def tool_call(message_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "toolName": "search",
        "toolArgs": {"q": "x"},
        "status": "complete",
        "createdAt": 1.0,
        **fields,
    }
