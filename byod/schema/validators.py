"""Convex validators in Python: the `v` namespace mirrors `convex/values`.

Each validator knows its JSON form (exactly what `Validator.json` returns in the `convex`
npm package) and its TypeScript source, so the schema can be exported and generated from
one definition.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Validator:
    """Base class of every validator; `optional` marks an object field that may be missing."""

    optional: bool = field(default=False, kw_only=True)

    def json(self) -> JsonDict:
        """The validator's JSON form, as `convex` exports it."""
        raise NotImplementedError

    def ts(self) -> str:
        """TypeScript source building this validator with `v` from `convex/values`."""
        raise NotImplementedError

    def as_optional(self) -> Validator:
        """A copy of this validator marked optional (what `v.optional(x)` returns)."""
        return _replace(self, optional=True)


def _replace(validator: Validator, **changes: Any) -> Validator:
    from dataclasses import replace

    return replace(validator, **changes)


@dataclass(frozen=True)
class Simple(Validator):
    """A validator without parameters: string, number, bigint, boolean, null, bytes, any."""

    kind: str = "string"
    ts_name: str = "string"

    def json(self) -> JsonDict:
        return {"type": self.kind}

    def ts(self) -> str:
        return f"v.{self.ts_name}()"


@dataclass(frozen=True)
class Id(Validator):
    """A document id of `table_name` (`v.id("table")`)."""

    table_name: str = ""

    def json(self) -> JsonDict:
        return {"type": "id", "tableName": self.table_name}

    def ts(self) -> str:
        return f"v.id({json.dumps(self.table_name)})"


@dataclass(frozen=True)
class Literal(Validator):
    """A single constant: string, number, boolean or 64-bit integer (`v.literal(x)`)."""

    value: str | int | float | bool = ""
    int64: bool = False

    def json(self) -> JsonDict:
        value: Any = self.value
        if self.int64:
            packed = struct.pack("<q", int(self.value))
            value = {"$integer": base64.b64encode(packed).decode()}
        return {"type": "literal", "value": value}

    def ts(self) -> str:
        if self.int64:
            return f"v.literal({int(self.value)}n)"
        return f"v.literal({json.dumps(self.value)})"


@dataclass(frozen=True)
class Array(Validator):
    """An array whose elements all match `element` (`v.array(x)`)."""

    element: Validator = field(default_factory=lambda: Simple())

    def json(self) -> JsonDict:
        return {"type": "array", "value": self.element.json()}

    def ts(self) -> str:
        return f"v.array({self.element.ts()})"


@dataclass(frozen=True)
class Object(Validator):
    """An object with the given fields; optional fields may be missing (`v.object({...})`)."""

    fields: dict[str, Validator] = field(default_factory=dict)

    def json(self) -> JsonDict:
        return {
            "type": "object",
            "value": {
                name: {"fieldType": f.json(), "optional": f.optional}
                for name, f in self.fields.items()
            },
        }

    def ts(self) -> str:
        return "v.object(" + ts_fields(self.fields) + ")"


@dataclass(frozen=True)
class Record(Validator):
    """An object with arbitrary keys matching `keys` and values matching `values`."""

    keys: Validator = field(default_factory=lambda: Simple())
    values: Validator = field(default_factory=lambda: Simple())

    def json(self) -> JsonDict:
        return {
            "type": "record",
            "keys": self.keys.json(),
            "values": {"fieldType": self.values.json(), "optional": False},
        }

    def ts(self) -> str:
        return f"v.record({self.keys.ts()}, {self.values.ts()})"


@dataclass(frozen=True)
class Union(Validator):
    """A value matching any of `members` (`v.union(a, b, ...)`)."""

    members: tuple[Validator, ...] = ()

    def json(self) -> JsonDict:
        return {"type": "union", "value": [m.json() for m in self.members]}

    def ts(self) -> str:
        inner = ", ".join(m.ts() for m in self.members)
        if len(inner) > 70 or "\n" in inner:
            inner = "\n" + "".join(f"  {indent(m.ts())},\n" for m in self.members)
        return f"v.union({inner})"


def indent(source: str, pad: str = "  ") -> str:
    """Indents the continuation lines of `source` (its first line stays where it is)."""
    return source.replace("\n", "\n" + pad)


def ts_fields(fields: dict[str, Validator]) -> str:
    """TypeScript object literal of validators, one field a line, optional ones wrapped."""
    if not fields:
        return "{}"
    lines = []
    for name, validator in fields.items():
        key = name if name.isidentifier() else json.dumps(name)
        lines.append(f"  {key}: {indent(ts_field(validator))},")
    return "{\n" + "\n".join(lines) + "\n}"


def ts_field(validator: Validator) -> str:
    """TypeScript for one field, with `v.optional(...)` when the validator is optional."""
    source = _replace(validator, optional=False).ts()
    return f"v.optional({source})" if validator.optional else source


class _V:
    """The validator builders, named as in `convex/values`."""

    def string(self) -> Validator:
        """Any string (`v.string()`)."""
        return Simple(kind="string", ts_name="string")

    def number(self) -> Validator:
        """A float64 number (`v.number()`); exported as `{"type": "number"}`."""
        return Simple(kind="number", ts_name="number")

    def float64(self) -> Validator:
        """Same as `number()` (`v.float64()`)."""
        return Simple(kind="number", ts_name="float64")

    def int64(self) -> Validator:
        """A signed 64-bit integer, a JS bigint (`v.int64()`); exported as `bigint`."""
        return Simple(kind="bigint", ts_name="int64")

    def bigint(self) -> Validator:
        """Same as `int64()` (`v.bigint()`)."""
        return Simple(kind="bigint", ts_name="int64")

    def boolean(self) -> Validator:
        """`true` or `false` (`v.boolean()`)."""
        return Simple(kind="boolean", ts_name="boolean")

    def null(self) -> Validator:
        """Only `null` (`v.null()`)."""
        return Simple(kind="null", ts_name="null")

    def bytes(self) -> Validator:
        """An ArrayBuffer (`v.bytes()`)."""
        return Simple(kind="bytes", ts_name="bytes")

    def any(self) -> Validator:
        """Any Convex value (`v.any()`)."""
        return Simple(kind="any", ts_name="any")

    def id(self, table_name: str) -> Validator:
        """The id of a document in `table_name` (`v.id("table")`); `_storage` for files."""
        if not isinstance(table_name, str):
            raise TypeError("v.id(table_name) requires a string")
        return Id(table_name=table_name)

    def literal(self, value: str | int | float | bool, *, int64: bool = False) -> Validator:
        """A constant (`v.literal(x)`); `int64=True` makes an integer a bigint literal."""
        if not isinstance(value, str | int | float | bool):
            raise TypeError("v.literal(value) must be a string, number, or boolean")
        return Literal(value=value, int64=int64)

    def array(self, element: Validator) -> Validator:
        """An array of `element` (`v.array(x)`)."""
        return Array(element=_check(element))

    def object(self, fields: dict[str, Validator] | None = None, /, **kw: Validator) -> Validator:
        """An object with these fields (`v.object({...})`); order is kept as given."""
        merged = {**(fields or {}), **kw}
        return Object(fields={k: _check(f) for k, f in merged.items()})

    def record(self, keys: Validator, values: Validator) -> Validator:
        """A map from `keys` (string or id) to `values` (`v.record(k, v)`)."""
        if _check(keys).optional or _check(values).optional:
            raise ValueError("Record validator cannot have optional keys or values")
        return Record(keys=keys, values=values)

    def union(self, *members: Validator) -> Validator:
        """A value matching one of `members` (`v.union(a, b, ...)`)."""
        return Union(members=tuple(_check(m) for m in members))

    def optional(self, validator: Validator) -> Validator:
        """Marks an object field as optional (`v.optional(x)`)."""
        return _check(validator).as_optional()

    def nullable(self, validator: Validator) -> Validator:
        """`validator` or `null` (`v.nullable(x)`, which is `v.union(x, v.null())`)."""
        return self.union(validator, self.null())


def _check(validator: Any) -> Validator:
    if not isinstance(validator, Validator):
        raise TypeError(f"expected a validator, got {validator!r}")
    return validator


v = _V()
