"""What the move functions are told of each table, and the order a move copies tables in."""

from __future__ import annotations

from byod.package.schema import schema as package_schema
from byod.schema import Schema, define_table, v
from byod.schema.data_functions import move_order, table_module
from byod.schema.move_functions import move_problems, move_spec
from byod.schema.owners import is_owned


def test_it_copies_every_owned_table_after_the_tables_it_references() -> None:
    order = move_order(package_schema)
    owned = [n for n, t in package_schema.tables.items() if is_owned(t)]
    assert sorted(order) == sorted(owned)
    assert order.index("notes") < order.index("projectNotes")  # declared after projects
    assert order.index("conversations") < order.index("messages") < order.index("toolCalls")
    assert order.index("tags") < order.index("noteTags")


def test_it_pages_a_parent_owned_table_through_the_parents_owner_index() -> None:
    assert move_spec(package_schema, "toolCalls") == {
        "index": "by_message",
        "parentIndex": "by_user",
        "required": ["messageId"],
    }
    assert move_spec(package_schema, "messages") == {
        "index": "by_user",
        "parentIndex": None,
        "required": ["conversationId"],
    }
    assert move_problems(package_schema) == []


def test_a_table_it_cannot_page_gets_no_move_functions_and_a_problem() -> None:
    tables = {
        "lists": define_table({"userId": v.string(), "n": v.number()}).index(
            "by_user_n", ["userId", "n"]
        ),
        "items": define_table({"listId": v.id("lists"), "n": v.number()})
        .index("by_list", ["listId"])
        .owned_through("listId"),
    }
    tables["lists"] = tables["lists"].owned_by("userId")
    schema = Schema(tables, True)
    assert move_spec(schema, "items") is None
    assert move_problems(schema) == [
        "items: a move needs an index of items on listId and one of lists on exactly userId"
    ]
    assert "importBatch" not in table_module(schema, "items")
    assert "importBatch" in table_module(schema, "lists")
