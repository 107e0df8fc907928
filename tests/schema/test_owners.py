"""Owner declarations: the DSL, the chains, indexes and children derived from them, the lint."""

from __future__ import annotations

import pytest

from byod.package.schema import schema as package_schema
from byod.schema import SchemaDefinitionError, define_schema, define_table, v
from byod.schema.lint import Finding, lint
from byod.schema.owners import (
    Ownership,
    OwnershipError,
    Step,
    children,
    owner_chain,
    owner_index,
)
from byod.schema.tables import Schema
from tests.schema.fixtures import seed_001, seed_002


def owner_findings(schema: Schema) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.table, f.field) for f in lint(schema) if f.code.startswith("owner")]


def chat_schema() -> Schema:
    """Three levels: toolCalls -> messages -> chats.userId, and an optional reference."""
    return define_schema(
        chats=define_table({"userId": v.string(), "title": v.string()})
        .index("by_user", ["userId"])
        .owned_by("userId"),
        messages=define_table({"chatId": v.id("chats"), "replyTo": v.optional(v.id("messages"))})
        .index("by_chat", ["chatId"])
        .index("by_reply", ["replyTo"])
        .owned_through("chatId"),
        toolCalls=define_table({"messageId": v.id("messages")})
        .index("by_message_name", ["messageId"])
        .owned_through("messageId"),
        meta=define_table({"version": v.number()}).package_internal(),
        cache=define_table({"hash": v.string()}).shared_cache(),
    )


def test_it_records_each_kind_of_declaration() -> None:
    tables = chat_schema().tables
    assert tables["chats"].ownership == Ownership("field", "userId")
    assert tables["messages"].ownership == Ownership("parent", "chatId")
    assert tables["meta"].ownership == Ownership("internal")
    assert tables["cache"].ownership == Ownership("shared")
    assert define_table({"a": v.string()}).ownership is None


def test_it_refuses_two_different_declarations_on_one_table() -> None:
    table = define_table({"userId": v.string()}).owned_by("userId")
    assert table.owned_by("userId") is table  # the same one again is harmless
    with pytest.raises(SchemaDefinitionError, match="one owner declaration"):
        table.shared_cache()
    with pytest.raises(SchemaDefinitionError, match="one field name"):
        define_table({"userId": v.string()}).owned_by(["userId"])  # type: ignore[arg-type]


def test_it_follows_the_chain_to_the_owner_field() -> None:
    schema = chat_schema()
    assert owner_chain(schema, "toolCalls") == (
        Step("toolCalls", "messageId", "messages"),
        Step("messages", "chatId", "chats"),
        Step("chats", "userId", None),
    )
    assert owner_chain(schema, "chats") == (Step("chats", "userId", None),)
    assert owner_index(schema, "toolCalls") == "by_message_name"
    with pytest.raises(OwnershipError, match="not an owner"):
        owner_chain(schema, "meta")


def test_it_removes_only_required_references_with_their_parent() -> None:
    schema = chat_schema()
    assert children(schema, "chats") == (("messages", "chatId", "by_chat"),)
    # messages.replyTo is optional: a reply is left when the message it answers goes.
    assert children(schema, "messages") == (("toolCalls", "messageId", "by_message_name"),)
    assert children(schema, "toolCalls") == ()


def test_the_package_and_the_seeds_declare_every_table() -> None:
    assert lint(package_schema, vector_dimensions=1536) == []
    assert owner_findings(seed_001.schema) == []
    assert owner_findings(seed_002.schema) == []
    tables = package_schema.tables
    assert owner_chain(package_schema, "toolCalls")[-1] == Step("messages", "userId", None)
    assert tables["conversationParticipants"].ownership == Ownership("parent", "conversationId")
    assert tables["ttsCache"].ownership == Ownership("shared")
    internal = {n for n, t in tables.items() if t.ownership == Ownership("internal")}
    assert internal == {"byodMeta", "byodMigrations", "byodOperations", "byodIdMap"}


def test_it_refuses_a_table_without_a_declaration() -> None:
    schema = define_schema(notes=define_table({"userId": v.string()}).index("by_user", ["userId"]))
    findings = lint(schema)
    assert [(f.code, f.table) for f in findings] == [("owner-missing", "notes")]
    assert ".owned_by(" in findings[0].message
    assert lint(schema, check_owner_declarations=False) == []


def test_it_refuses_owner_and_parent_fields_of_the_wrong_type() -> None:
    schema = define_schema(
        a=define_table({"userId": v.optional(v.string())})
        .index("by_user", ["userId"])
        .owned_by("userId"),
        b=define_table({"userId": v.number()}).index("by_user", ["userId"]).owned_by("userId"),
        c=define_table({"aId": v.optional(v.id("a"))}).index("by_a", ["aId"]).owned_through("aId"),
        d=define_table({"aId": v.string()}).index("by_a", ["aId"]).owned_through("aId"),
        e=define_table({"x": v.string()}).index("by_x", ["x"]).owned_by("missing"),
    )
    assert owner_findings(schema) == [
        ("owner-field-type", "a", "userId"),
        ("owner-field-type", "b", "userId"),
        ("owner-field-type", "c", "aId"),
        ("owner-field-type", "d", "aId"),
        ("owner-field-type", "e", "missing"),
    ]


def test_it_refuses_a_chain_that_ends_nowhere_or_loops() -> None:
    schema = define_schema(
        cache=define_table({"k": v.string()}).shared_cache(),
        entries=define_table({"cacheId": v.id("cache")})
        .index("by_cache", ["cacheId"])
        .owned_through("cacheId"),
        left=define_table({"rightId": v.id("right")})
        .index("by_right", ["rightId"])
        .owned_through("rightId"),
        right=define_table({"leftId": v.id("left")})
        .index("by_left", ["leftId"])
        .owned_through("leftId"),
        orphans=define_table({"ghostId": v.id("ghost")})
        .index("by_ghost", ["ghostId"])
        .owned_through("ghostId"),
    )
    findings = [f for f in lint(schema) if f.code == "owner-chain"]
    assert [f.table for f in findings] == ["entries", "left", "right", "orphans"]
    assert "cache (shared), not an owner" in findings[0].message
    assert "cycle" in findings[1].message
    assert "'ghost', not a table" in findings[3].message


def test_it_refuses_an_owned_table_no_index_can_serve() -> None:
    schema = define_schema(
        notes=define_table({"userId": v.string(), "title": v.string()})
        .index("by_title_user", ["title", "userId"])
        .owned_by("userId"),
    )
    findings: list[Finding] = lint(schema)
    assert [(f.code, f.field) for f in findings] == [("owner-unindexed", "userId")]
    assert '.index("by_userId", ["userId"])' in findings[0].message


def test_it_refuses_a_search_index_that_cannot_be_filtered_by_owner() -> None:
    schema = define_schema(
        notes=define_table({"userId": v.string(), "body": v.string(), "tag": v.string()})
        .index("by_user", ["userId"])
        .search_index("search_body", search_field="body", filter_fields=["tag"])
        .search_index("search_ok", search_field="body", filter_fields=["tag", "userId"])
        .owned_by("userId"),
    )
    assert [(f.code, f.index) for f in lint(schema)] == [("owner-search-filter", "search_body")]
