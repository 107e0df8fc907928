"""Rows written directly, and helpers shared by the web and browser tests."""

from __future__ import annotations

from accounts.models import User
from byod.models import Connection, ConnectionStatus, Deployment


def make_connection(
    user: User,
    *,
    status: str = ConnectionStatus.CONNECTED,
    deployed_version: int | None = 1,
    name: str = "quiet-lynx-417",
    **fields: object,
) -> Connection:
    """A stored connection, written directly: these tests are about pages, not the services."""
    values: dict[str, object] = {
        "url": f"https://{name}.convex.cloud",
        "deployment_name": name,
        "key_ciphertext": "c2VhbGVk",
        "key_id": "test1",
        "status": status,
        "deployed_version": deployed_version,
    }
    values.update(fields)
    return Connection.objects.create(user=user, **values)


def make_deployment(connection: Connection, **fields: object) -> Deployment:
    values: dict[str, object] = {"to_version": 1, "trigger": "user", "status": "succeeded"}
    values.update(fields)
    return Deployment.objects.create(connection=connection, **values)


FOREIGN_SCHEMA_TS = """\
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  legacyWidgets: defineTable({ name: v.string() }),
  legacyOrders: defineTable({ total: v.number() }),
});
"""
FOREIGN_TABLES = ["legacyOrders", "legacyWidgets"]


def push_foreign_project(deployment: object) -> None:
    """Deploy another project's schema (tables we do not own) with the real CLI's push body."""
    import httpx

    from tests.emulator.convex_cli import push, push_request

    with httpx.Client(timeout=60) as client:
        push(
            client,
            deployment.url,  # type: ignore[attr-defined]
            deployment.admin_key,  # type: ignore[attr-defined]
            push_request(FOREIGN_SCHEMA_TS),
        )
