"""Tables and indexes refuse definitions that would silently mean something else."""

from __future__ import annotations

import pytest

from byod.schema import SchemaDefinitionError, define_table, v


def embeddings() -> object:
    return define_table({"userId": v.string(), "e": v.array(v.float64())})


def test_it_refuses_a_string_where_a_field_list_belongs() -> None:
    with pytest.raises(SchemaDefinitionError) as exc:
        define_table({"userId": v.string()}).index("by_user", "userId")  # type: ignore[arg-type]
    assert str(exc.value) == (
        'index "by_user": fields must be a list of field names such as ["userId"], '
        'not the string "userId"'
    )
    with pytest.raises(TypeError, match=r'search index "s": filter_fields .* \["userId"\]'):
        embeddings().search_index("s", search_field="userId", filter_fields="userId")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r'vector index "vec": filter_fields .* \["userId"\]'):
        embeddings().vector_index(
            "vec",
            vector_field="e",
            dimensions=4,
            filter_fields="userId",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("fields", [{"userId"}, None, 3, b"userId", (f for f in ["userId"])])
def test_it_refuses_anything_but_a_sequence_as_a_field_list(fields: object) -> None:
    with pytest.raises(SchemaDefinitionError, match='index "by_user": fields must be a list'):
        define_table({"userId": v.string()}).index("by_user", fields)  # type: ignore[arg-type]


def test_it_refuses_a_field_list_holding_something_but_strings() -> None:
    with pytest.raises(SchemaDefinitionError, match=r"item 1 is 2 \(int\)"):
        define_table({"a": v.string()}).index("by_a", ["a", 2])  # type: ignore[list-item]
    with pytest.raises(SchemaDefinitionError, match=r"item 0 is \['a'\]"):
        embeddings().search_index("s", search_field="userId", filter_fields=[["a"]])  # type: ignore[list-item]


def test_it_refuses_a_list_where_one_search_or_vector_field_belongs() -> None:
    with pytest.raises(SchemaDefinitionError, match='search index "s": search_field must be one'):
        embeddings().search_index("s", search_field=["userId"])  # type: ignore[arg-type]
    with pytest.raises(SchemaDefinitionError, match='vector index "vec": vector_field must be'):
        embeddings().vector_index("vec", vector_field=["e"], dimensions=4)  # type: ignore[arg-type]


def test_it_keeps_field_lists_given_as_lists_or_tuples() -> None:
    table = embeddings().index("by_user", ("userId",)).index("by_user_e", ["userId", "e"])
    assert [i.fields for i in table.indexes] == [("userId",), ("userId", "e")]
