"""Tables, indexes and schemas: the Python side of `defineTable` and `defineSchema`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from byod.schema.errors import SchemaDefinitionError
from byod.schema.validators import JsonDict, Object, Validator, ts_fields


@dataclass(frozen=True)
class Index:
    """A database index: `fields` are field paths (dotted for nested fields)."""

    name: str
    fields: tuple[str, ...]

    def json(self) -> JsonDict:
        """The index as the schema export lists it."""
        return {"indexDescriptor": self.name, "fields": list(self.fields)}


@dataclass(frozen=True)
class SearchIndex:
    """A full-text search index over one string field, with equality filter fields."""

    name: str
    search_field: str
    filter_fields: tuple[str, ...] = ()

    def json(self) -> JsonDict:
        """The search index as the schema export lists it."""
        return {
            "indexDescriptor": self.name,
            "searchField": self.search_field,
            "filterFields": list(self.filter_fields),
        }


@dataclass(frozen=True)
class VectorIndex:
    """A vector index over an `array(float64)` field of fixed `dimensions`."""

    name: str
    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...] = ()

    def json(self) -> JsonDict:
        """The vector index as the schema export lists it."""
        return {
            "indexDescriptor": self.name,
            "vectorField": self.vector_field,
            "dimensions": self.dimensions,
            "filterFields": list(self.filter_fields),
        }


OwnershipKind = Literal["field", "parent", "internal", "shared"]


@dataclass(frozen=True)
class Ownership:
    """Whose a table's documents are (see `byod.schema.owners`).

    `field`: the user whose external id is in the string field `field`; `parent`: the owner of
    the document the required `v.id` field `field` points to; `internal`: the package's own
    bookkeeping; `shared`: a cache shared by every user of the deployment (`field` is None).
    """

    kind: OwnershipKind
    field: str | None = None


@dataclass
class Table:
    """One table: its document validator and its indexes, built like `defineTable(...)`."""

    document: Validator
    indexes: list[Index] = field(default_factory=list)
    search_indexes: list[SearchIndex] = field(default_factory=list)
    vector_indexes: list[VectorIndex] = field(default_factory=list)
    # Not part of the export: Convex knows nothing of owners; the data functions do.
    ownership: Ownership | None = None

    def owned_by(self, owner_field: str) -> Table:
        """Declares the documents the user's whose external id is in `owner_field` (a string
        field); returns the table for chaining."""
        return self._declare(Ownership("field", _field_name("owned_by", "field", owner_field)))

    def owned_through(self, parent_field: str) -> Table:
        """Declares the documents owned by the owner of the document the required
        `v.id("<parent>")` field `parent_field` points to; returns the table."""
        return self._declare(
            Ownership("parent", _field_name("owned_through", "field", parent_field))
        )

    def package_internal(self) -> Table:
        """Declares the table the package's own bookkeeping: no data functions serve it."""
        return self._declare(Ownership("internal"))

    def shared_cache(self) -> Table:
        """Declares the table a cache shared by every user: no data functions serve it."""
        return self._declare(Ownership("shared"))

    def _declare(self, ownership: Ownership) -> Table:
        if self.ownership is not None and self.ownership != ownership:
            raise SchemaDefinitionError(
                f"a table has one owner declaration: already {self.ownership.kind}"
                + (f" ({self.ownership.field})" if self.ownership.field else "")
            )
        self.ownership = ownership
        return self

    def index(self, name: str, fields: list[str] | tuple[str, ...]) -> Table:
        """Adds a database index on `fields` (in order) and returns the table for chaining.

        `fields` is a list of field paths, even for one field: `.index("by_user", ["userId"])`.
        Raises SchemaDefinitionError for a bare string or anything else that is not a list of
        strings.
        """
        where = f"index {json.dumps(name)}"
        self.indexes.append(Index(name, _field_list(where, "fields", fields)))
        return self

    def search_index(
        self, name: str, *, search_field: str, filter_fields: list[str] | tuple[str, ...] = ()
    ) -> Table:
        """Adds a full-text search index (`.searchIndex(name, {searchField, filterFields})`).

        `search_field` is one field path; `filter_fields` a list of them (SchemaDefinitionError
        otherwise).
        """
        where = f"search index {json.dumps(name)}"
        self.search_indexes.append(
            SearchIndex(
                name,
                _field_name(where, "search_field", search_field),
                _field_list(where, "filter_fields", filter_fields),
            )
        )
        return self

    def vector_index(
        self,
        name: str,
        *,
        vector_field: str,
        dimensions: int,
        filter_fields: list[str] | tuple[str, ...] = (),
    ) -> Table:
        """Adds a vector index (`.vectorIndex(name, {vectorField, dimensions, filterFields})`).

        `vector_field` is one field path; `filter_fields` a list of them (SchemaDefinitionError
        otherwise).
        """
        where = f"vector index {json.dumps(name)}"
        self.vector_indexes.append(
            VectorIndex(
                name,
                _field_name(where, "vector_field", vector_field),
                dimensions,
                _field_list(where, "filter_fields", filter_fields),
            )
        )
        return self

    @property
    def fields(self) -> dict[str, Validator]:
        """Top-level fields when the document is an object; empty otherwise."""
        return self.document.fields if isinstance(self.document, Object) else {}

    def json(self, name: str) -> JsonDict:
        """The table's entry in the schema export (no staged indexes: we do not stage)."""
        return {
            "tableName": name,
            "indexes": [i.json() for i in self.indexes],
            "stagedDbIndexes": [],
            "searchIndexes": [i.json() for i in self.search_indexes],
            "stagedSearchIndexes": [],
            "vectorIndexes": [i.json() for i in self.vector_indexes],
            "stagedVectorIndexes": [],
            "documentType": self.document.json(),
        }

    def ts(self) -> str:
        """`defineTable(...)` with its index calls, as TypeScript."""
        if isinstance(self.document, Object):
            head = "defineTable(" + ts_fields(self.document.fields) + ")"
        else:
            head = f"defineTable({self.document.ts()})"
        parts = [head]
        for i in self.indexes:
            parts.append(f".index({json.dumps(i.name)}, {json.dumps(list(i.fields))})")
        for s in self.search_indexes:
            search = {"searchField": s.search_field, "filterFields": list(s.filter_fields)}
            parts.append(f".searchIndex({json.dumps(s.name)}, {_ts_options(search)})")
        for vi in self.vector_indexes:
            vector: dict[str, Any] = {
                "vectorField": vi.vector_field,
                "dimensions": vi.dimensions,
                "filterFields": list(vi.filter_fields),
            }
            parts.append(f".vectorIndex({json.dumps(vi.name)}, {_ts_options(vector)})")
        return "\n  ".join(parts)


def _field_list(where: str, what: str, fields: Any) -> tuple[str, ...]:
    """`fields` as a tuple of field paths, or SchemaDefinitionError saying how to write it.

    A bare string is refused rather than split into characters: `"userId"` is not `["userId"]`.
    """
    if isinstance(fields, str):
        raise SchemaDefinitionError(
            f"{where}: {what} must be a list of field names such as {json.dumps([fields])}, "
            f"not the string {json.dumps(fields)}"
        )
    if not isinstance(fields, Sequence) or isinstance(fields, bytes | bytearray):
        raise SchemaDefinitionError(
            f'{where}: {what} must be a list of field names such as ["userId"], '
            f"not {fields!r} ({type(fields).__name__})"
        )
    for position, item in enumerate(fields):
        if not isinstance(item, str):
            raise SchemaDefinitionError(
                f"{where}: {what} must hold field names (strings); item {position} is "
                f"{item!r} ({type(item).__name__})"
            )
    return tuple(fields)


def _field_name(where: str, what: str, name: Any) -> str:
    """`name` when it is one field path (a string), else SchemaDefinitionError."""
    if not isinstance(name, str):
        raise SchemaDefinitionError(
            f'{where}: {what} must be one field name such as "body", '
            f"not {name!r} ({type(name).__name__})"
        )
    return name


def _ts_options(options: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k}: {json.dumps(val)}" for k, val in options.items()) + " }"


def define_table(document: Validator | dict[str, Validator]) -> Table:
    """A table whose documents match `document` (a validator, or a dict of field validators)."""
    if isinstance(document, dict):
        document = Object(fields=dict(document))
    if not isinstance(document, Validator):
        raise TypeError("define_table() takes a validator or a dict of validators")
    return Table(document)


@dataclass
class Schema:
    """A whole schema: tables in declaration order and the `schemaValidation` flag."""

    tables: dict[str, Table]
    schema_validation: bool = True

    def export(self) -> JsonDict:
        """The schema as `defineSchema(...).export()` of the `convex` package returns it."""
        return {
            "tables": [table.json(name) for name, table in self.tables.items()],
            "schemaValidation": self.schema_validation,
        }

    def canonical_json(self) -> str:
        """The export as canonical JSON text (sorted keys, no spaces): what gets fingerprinted."""
        return canonical_json(self.export())


def canonical_json(value: Any) -> str:
    """Canonical JSON text of `value`: sorted keys, compact separators, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def define_schema(
    tables: dict[str, Table] | None = None, *, schema_validation: bool = True, **kw: Table
) -> Schema:
    """A schema of `tables` (`defineSchema({...}, {schemaValidation})`)."""
    merged = {**(tables or {}), **kw}
    for name, table in merged.items():
        if not isinstance(table, Table):
            raise TypeError(f"table {name!r} is not a Table (use define_table)")
    return Schema(merged, schema_validation)
