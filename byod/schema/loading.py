"""Find the schema defined by a module (for `byod_schema json|ts|lint --module ...`)."""

from __future__ import annotations

import importlib

from byod.schema.errors import SchemaDefinitionError
from byod.schema.tables import Schema


def load_schema(dotted: str) -> Schema:
    """The Schema a module defines: its `schema` attribute, else its only Schema attribute.

    Raises LookupError with a message for the user when there is none, the module is missing,
    or its definition is refused by the DSL (a SchemaDefinitionError while importing it).
    """
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        raise LookupError(f"cannot import {dotted!r}: {exc}") from exc
    except SchemaDefinitionError as exc:
        raise LookupError(f"{dotted!r} does not define a usable schema: {exc}") from exc
    found = getattr(module, "schema", None)
    if isinstance(found, Schema):
        return found
    candidates = [value for value in vars(module).values() if isinstance(value, Schema)]
    if len(candidates) == 1:
        return candidates[0]
    raise LookupError(
        f"{dotted!r} defines {len(candidates)} schemas; name the one to use `schema`."
    )
