"""Every lint rule, each with a schema that breaks it; the package lints clean."""

from __future__ import annotations

import pytest

from byod.package.schema import schema as package_schema
from byod.schema import define_schema, define_table, v
from byod.schema.lint import Finding
from byod.schema.lint import lint as full_lint
from byod.schema.tables import Schema
from tests.schema.fixtures import seed_001, seed_002


def lint(schema: Schema, **kw: object) -> list[Finding]:
    """The lint without the owner rules (tests/schema/test_owners.py): the schemas here, each
    breaking another rule, declare no owners. The package and the seeds get the full lint."""
    return full_lint(schema, check_owner_declarations=False, **kw)  # type: ignore[arg-type]


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def one_table(**kw: object) -> object:
    return define_schema(t=define_table({"a": v.string(), "b": v.number(), **kw}))


def test_it_finds_nothing_in_the_package() -> None:
    assert full_lint(package_schema, vector_dimensions=1536) == []


@pytest.mark.parametrize("name", ["bad-name", "1abc", "x" * 65, "___", "_private"], ids=str)
def test_it_refuses_bad_table_names(name: str) -> None:
    schema = define_schema({name: define_table({"a": v.string()})})
    assert codes(lint(schema)) == {"table-name"}


@pytest.mark.parametrize("name", ["by_id", "by_creation_time", "_x", "bad name"])
def test_it_refuses_reserved_or_bad_index_names(name: str) -> None:
    schema = define_schema(t=define_table({"a": v.string()}).index(name, ["a"]))
    assert codes(lint(schema)) == {"index-name"}


def test_it_refuses_index_names_used_twice_across_kinds() -> None:
    table = (
        define_table({"a": v.string(), "e": v.array(v.float64())})
        .index("dup", ["a"])
        .search_index("dup", search_field="a")
    )
    findings = lint(define_schema(t=table))
    assert codes(findings) == {"duplicate-index-name"}
    assert findings[0].index == "dup"


def test_it_refuses_an_index_without_fields_or_with_too_many() -> None:
    fields = {f"f{i}": v.string() for i in range(16)}
    schema = define_schema(t=define_table(fields).index("none", []).index("many", list(fields)))
    assert [f.index for f in lint(schema)] == ["none", "many"]
    assert codes(lint(schema)) == {"index-field-count"}


def test_it_accepts_fifteen_index_fields() -> None:
    fields = {f"f{i}": v.string() for i in range(15)}
    assert lint(define_schema(t=define_table(fields).index("max", list(fields)))) == []


def test_it_refuses_a_field_twice_in_an_index() -> None:
    schema = define_schema(t=define_table({"a": v.string()}).index("i", ["a", "a"]))
    assert "duplicate-index-field" in codes(lint(schema))


@pytest.mark.parametrize("field", ["_id", "_creationTime", "a._x", "_a.x"])
def test_it_refuses_system_fields_in_an_index(field: str) -> None:
    schema = define_schema(t=define_table({"a": v.any()}).index("i", ["a", field]))
    assert codes(lint(schema)) == {"index-field"}


def test_it_refuses_two_indexes_on_the_same_fields() -> None:
    schema = define_schema(t=define_table({"a": v.string()}).index("i", ["a"]).index("j", ["a"]))
    findings = lint(schema)
    assert codes(findings) == {"duplicate-index-fields"}
    assert findings[0].index == "j"


def test_it_refuses_index_search_and_filter_fields_that_do_not_exist() -> None:
    table = (
        define_table({"a": v.string(), "o": v.object({"x": v.string()})})
        .index("i", ["o.y"])
        .search_index("s", search_field="nope", filter_fields=["gone"])
        .vector_index("vv", vector_field="vec", dimensions=4, filter_fields=["o.x"])
    )
    found = {(f.code, f.field) for f in lint(define_schema(t=table))}
    assert found == {
        ("index-field-missing", "o.y"),
        ("search-field-missing", "nope"),
        ("filter-field-missing", "gone"),
        ("vector-field-missing", "vec"),
    }


def test_it_skips_field_existence_without_schema_validation() -> None:
    table = define_table({"a": v.string()}).index("i", ["elsewhere"])
    assert lint(define_schema(t=table, schema_validation=False)) == []


def test_it_refuses_a_search_field_that_is_not_a_string() -> None:
    table = define_table({"n": v.number()}).search_index("s", search_field="n")
    assert codes(lint(define_schema(t=table))) == {"search-field-type"}


def test_it_refuses_more_than_sixteen_filter_fields() -> None:
    fields = {f"f{i}": v.string() for i in range(17)}
    table = define_table({**fields, "e": v.array(v.float64())})
    table.search_index("s", search_field="f0", filter_fields=list(fields))
    table.vector_index("vec", vector_field="e", dimensions=4, filter_fields=list(fields))
    findings = lint(define_schema(t=table))
    assert [(f.code, f.index) for f in findings] == [
        ("filter-field-count", "s"),
        ("filter-field-count", "vec"),
    ]


@pytest.mark.parametrize("dims", [1, 4097])
def test_it_refuses_vector_dimensions_out_of_range(dims: int) -> None:
    table = define_table({"e": v.array(v.float64())}).vector_index(
        "vec", vector_field="e", dimensions=dims
    )
    assert codes(lint(define_schema(t=table))) == {"vector-dimensions"}


def test_it_refuses_vector_dimensions_other_than_configured() -> None:
    table = define_table({"e": v.array(v.float64())}).vector_index(
        "vec", vector_field="e", dimensions=768
    )
    assert lint(define_schema(t=table)) == []
    assert codes(lint(define_schema(t=table), vector_dimensions=1536)) == {"vector-dimensions"}


def test_it_refuses_a_vector_field_that_is_not_an_array_of_floats() -> None:
    table = define_table({"e": v.array(v.string())}).vector_index(
        "vec", vector_field="e", dimensions=4
    )
    assert codes(lint(define_schema(t=table))) == {"vector-field-type"}


def test_it_enforces_convex_cloud_per_table_limits() -> None:
    fields = {f"f{i}": v.string() for i in range(33)}
    fields["e"] = v.array(v.float64())
    table = define_table(fields)
    for i in range(33):
        table.index(f"i{i}", [f"f{i}"])
    for i in range(5):
        table.search_index(f"s{i}", search_field=f"f{i}")
        table.vector_index(f"vec{i}", vector_field="e", dimensions=4 + i)
    assert codes(lint(define_schema(t=table))) == {
        "too-many-indexes",
        "too-many-search-indexes",
        "too-many-vector-indexes",
    }


def test_it_refuses_bad_field_names() -> None:
    schema = define_schema(t=define_table({"_secret": v.string(), "ok": v.string()}))
    findings = lint(schema)
    assert [(f.code, f.field) for f in findings] == [("field-name", "_secret")]


def test_it_demands_an_index_for_every_id_reference() -> None:
    schema = define_schema(
        parents=define_table({"name": v.string()}),
        children=define_table(
            {
                "parentId": v.id("parents"),
                "second": v.optional(v.id("parents")),
                "fileId": v.id("_storage"),
                "nested": v.object({"ref": v.id("parents")}),
            }
        ).index("by_second_then", ["parentId", "second"]),
    )
    findings = lint(schema)
    assert {(f.code, f.field) for f in findings} == {
        ("unindexed-reference", "second"),
        ("unindexed-reference", "nested.ref"),
    }
    assert 'index("by_second", ["second"])' in findings[0].message + findings[1].message


def test_it_refuses_references_to_tables_the_schema_lacks() -> None:
    findings = full_lint(seed_002.schema)
    assert ("unknown-table", "chats") in {(f.code, f.table) for f in findings}


def test_it_catches_what_the_backend_would_refuse_in_seed_001() -> None:
    findings = full_lint(seed_001.schema)
    assert {f.code for f in findings} == {"index-field"}
    assert all(f.field == "_creationTime" for f in findings)
    assert str(findings[0]).startswith("index-field users.by_active (_creationTime):")


def test_it_notes_id_references_in_arrays_that_no_index_can_serve() -> None:
    schema = define_schema(
        advisors=define_table({"name": v.string()}),
        chats=define_table(
            {
                "advisorIds": v.array(v.id("advisors")),
                "lead": v.optional(v.array(v.union(v.id("advisors"), v.null()))),
                "members": v.array(v.object({"advisorId": v.id("advisors")})),
                "files": v.array(v.id("_storage")),
                "names": v.array(v.string()),
            }
        ),
    )
    findings = lint(schema)
    assert [(f.code, f.table, f.field) for f in findings] == [
        ("unindexable-reference", "chats", "advisorIds[]"),
        ("unindexable-reference", "chats", "lead[]"),
        ("unindexable-reference", "chats", "members[].advisorId"),
    ]
    assert str(findings[0]) == (
        "unindexable-reference chats (advisorIds[]): v.id('advisors') in an array "
        "('advisorIds[]') cannot be indexed, so no index finds the chats holding a given id; "
        "for that lookup add a join table (one document per pair, with an index starting with "
        "the advisors id), or accept scanning."
    )
    assert lint(schema, check_references=False) == []


def test_it_refuses_two_search_or_vector_indexes_doing_one_job() -> None:
    table = (
        define_table({"a": v.string(), "b": v.string(), "e": v.array(v.float64())})
        .search_index("s1", search_field="a", filter_fields=["b"])
        .search_index("s2", search_field="a", filter_fields=["b", "b"])
        .search_index("s3", search_field="a")
        .vector_index("v1", vector_field="e", dimensions=4)
        .vector_index("v2", vector_field="e", dimensions=4, filter_fields=["a"])
        .vector_index("v3", vector_field="e", dimensions=8)
    )
    findings = lint(define_schema(t=table))
    assert [(f.code, f.index) for f in findings] == [
        ("duplicate-search-index", "s2"),
        ("duplicate-vector-index", "v2"),
    ]
    assert "search index 's1'" in findings[0].message
    assert "vector index 'v1'" in findings[1].message


def test_it_counts_a_filter_field_listed_twice_once() -> None:
    fields = {f"f{i}": v.string() for i in range(16)}
    table = define_table(fields).search_index("s", search_field="f0", filter_fields=[*fields, "f1"])
    assert lint(define_schema(t=table)) == []


@pytest.mark.parametrize(
    "embedding",
    [
        v.optional(v.array(v.float64())),
        v.nullable(v.array(v.float64())),
        v.array(v.any()),
        v.any(),
    ],
    ids=["optional", "nullable", "array of any", "any"],
)
def test_it_accepts_any_vector_field_that_can_hold_floats(embedding: object) -> None:
    table = define_table({"e": embedding}).vector_index("vec", vector_field="e", dimensions=4)
    assert lint(define_schema(t=table)) == []


def test_it_accepts_system_fields_as_search_filters() -> None:
    table = define_table({"a": v.string()}).search_index(
        "s", search_field="a", filter_fields=["_creationTime", "_id"]
    )
    assert lint(define_schema(t=table)) == []


def test_it_refuses_bad_field_names_at_any_depth() -> None:
    document = v.object(
        {
            "meta": v.object({"bad-name": v.string(), "_kind": v.string()}),
            "items": v.array(v.object({"x" * 65: v.string()})),
            "labels": v.record(v.string(), v.object({"1st": v.string()})),
        }
    )
    findings = lint(define_schema(t=define_table(v.union(document, document))))
    assert [(f.code, f.field) for f in findings] == [
        ("field-name", "meta.bad-name"),
        ("field-name", f"items[].{'x' * 65}"),
        ("field-name", "labels{}.1st"),
    ]


@pytest.mark.parametrize(
    "document",
    [v.string(), v.array(v.object({})), v.union(v.object({"a": v.string()}), v.null())],
    ids=["string", "array", "union with null"],
)
def test_it_refuses_a_document_that_is_not_an_object(document: object) -> None:
    findings = lint(define_schema(t=define_table(document)))
    assert codes(findings) == {"document-type"}
    assert findings[0].message.endswith(f"not {document.ts()}.")  # type: ignore[attr-defined]


def test_it_accepts_objects_unions_of_objects_and_any_as_documents() -> None:
    for document in (v.object({}), v.union(v.object({}), v.object({"a": v.null()})), v.any()):
        assert lint(define_schema(t=define_table(document))) == []
