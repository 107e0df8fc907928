"""Values computed from the document a migration is working on: `field`, `coalesce`, ...

    Backfill("sentAt", coalesce(field("updatedAt"), field("createdAt"), 0))

An expression is data (`json()`, evaluated by the runner in the deployed package) and knows
the type of what it computes (`infer`), so the version check can tell whether a backfilled
value fits the field's type and whether some documents may still lack it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from byod.schema.diff import accepts

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]
Fields = dict[str, dict[str, Any]]  # field name -> {"fieldType": validator JSON, "optional"}

FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class RewriteDefinitionError(ValueError):
    """A migration declared in a way that cannot work; the message says what to change."""


@dataclass(frozen=True)
class Expr:
    """A value computed from the document being migrated (see `field`, `coalesce`, ...)."""

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        """(validator JSON of the value, whether it may be missing) for documents with `fields`.

        None as the type means "unknown" (a field that does not exist).
        """
        raise NotImplementedError


@dataclass(frozen=True)
class Field(Expr):
    name: str

    def json(self) -> dict[str, Any]:
        return {"field": self.name}

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        spec = fields.get(self.name)
        if spec is None:
            return None, True
        return spec["fieldType"], bool(spec["optional"])


@dataclass(frozen=True)
class Const(Expr):
    value: JsonValue

    def json(self) -> dict[str, Any]:
        return {"value": self.value}

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        return _type_of_constant(self.value), False


@dataclass(frozen=True)
class Coalesce(Expr):
    options: tuple[Expr, ...]

    def json(self) -> dict[str, Any]:
        return {"coalesce": [o.json() for o in self.options]}

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        types: list[dict[str, Any]] = []
        for option in self.options:
            kind, missing = option.infer(fields)
            if kind is None:
                return None, True
            types.append(kind)
            if not missing:
                return union_of(types), False
        return union_of(types), True


@dataclass(frozen=True)
class Length(Expr):
    of: Expr

    def json(self) -> dict[str, Any]:
        return {"length": self.of.json()}

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        kind, missing = self.of.infer(fields)
        if kind is None:
            return None, True
        return {"type": "number"}, missing


@dataclass(frozen=True)
class Concat(Expr):
    parts: tuple[Expr, ...]

    def json(self) -> dict[str, Any]:
        return {"concat": [p.json() for p in self.parts]}

    def infer(self, fields: Fields) -> tuple[dict[str, Any] | None, bool]:
        for part in self.parts:
            if part.infer(fields)[0] is None:
                return None, True
        return {"type": "string"}, False  # a missing part counts as ""


def field(name: str) -> Expr:
    """The value of another field of the same document (missing when that field is)."""
    return Field(field_name(name))


def const(value: JsonValue) -> Expr:
    """A constant (JSON: string, number, boolean, null, or lists and objects of them)."""
    return Const(value)


def coalesce(*options: Expr | JsonValue) -> Expr:
    """The first option that is present: `coalesce(field("updatedAt"), field("createdAt"), 0)`."""
    if not options:
        raise RewriteDefinitionError("coalesce() needs at least one option")
    return Coalesce(tuple(as_expr(o) for o in options))


def length(of: Expr | str) -> Expr:
    """The length of a string or an array (a field name or an expression)."""
    return Length(field(of) if isinstance(of, str) else of)


def concat(*parts: Expr | str) -> Expr:
    """Strings joined; a plain string is a constant part, a missing field counts as ""."""
    return Concat(tuple(p if isinstance(p, Expr) else Const(p) for p in parts))


def as_expr(value: Expr | JsonValue) -> Expr:
    return value if isinstance(value, Expr) else Const(value)


def field_name(name: Any) -> str:
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        raise RewriteDefinitionError(
            f"{name!r} is not a top-level field name (letters, digits, underscores; nested "
            "fields need a Custom migration)"
        )
    return name


def _type_of_constant(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool | str | int | float):
        return {"type": "literal", "value": value}
    if isinstance(value, list):
        if not value:
            return {"type": "array", "value": {"type": "any"}}
        return {"type": "array", "value": union_of([_type_of_constant(v) for v in value])}
    if isinstance(value, dict):
        return {
            "type": "object",
            "value": {
                k: {"fieldType": _type_of_constant(v), "optional": False} for k, v in value.items()
            },
        }
    raise RewriteDefinitionError(f"{value!r} is not a JSON value")


def union_of(types: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The narrowest validator JSON accepting every value of each of `types`: unions are
    flattened, duplicates and members another member accepts are dropped."""
    members: list[dict[str, Any]] = []
    for kind in types:
        flat = kind["value"] if kind.get("type") == "union" else [kind]
        for member in flat:
            if any(accepts(kept, member) for kept in members):
                continue
            members = [kept for kept in members if not accepts(member, kept)]
            members.append(member)
    if len(members) == 1:
        return members[0]
    return {"type": "union", "value": members}
