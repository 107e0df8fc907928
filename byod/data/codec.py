"""Python values to Convex's encoded JSON and back, losslessly.

Convex reads every argument as encoded JSON: a JSON number is a float64, an int64 is
`{"$integer": base64 of 8 little-endian bytes}`, bytes are `{"$bytes": base64}`, and NaN, ±Inf
and -0 are `{"$float": base64 of the little-endian float64}`. Which one a Python `int` becomes
depends on the field it goes to, so encoding walks the value beside the table's validator: an
int is an `$integer` only where the schema says `v.int64()`, a number where it says `v.number()`
(refused beyond 2^53, where it would lose digits) and in `v.any()`. The walk applies every rule
of `byod.data.refusals` on the way, naming the field path, and refuses values the validator
does not accept where that is cheap to tell (a kind, a literal, an unknown or missing field).

Decoding reads answers strictly (a deployment may answer anything): `$`-objects must be one of
the three forms with a well-formed payload, other keys may not start with `$`, and every JSON
number becomes a float (Convex numbers are float64; int64 values come as `$integer`).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any

from byod.data import refusals as rules
from byod.data.errors import refused
from byod.errors import PROTOCOL_ERROR, ByodError
from byod.schema.validators import Array, Id, Literal, Object, Record, Simple, Union, Validator

ANY = Simple(kind="any", ts_name="any")
_SIMPLE_KINDS = {
    "string": "text",
    "number": "a number",
    "bigint": "a 64-bit integer (int)",
    "boolean": "true or false",
    "null": "None",
    "bytes": "bytes",
}


def encode(value: Any, validator: Validator = ANY, path: str = "", level: int = 1) -> Any:
    """`value` as encoded JSON for a field of `validator`, or a DataError (value_refused)
    naming `path`."""
    rules.depth(level, path or "the value")
    if isinstance(validator, Simple):
        return _simple(value, validator.kind, path, level)
    if isinstance(validator, Id):
        if not isinstance(value, str):
            raise rules.mismatch(path, f"the id of a {validator.table_name} document", value)
        return rules.text(value, path)
    if isinstance(validator, Literal):
        return _literal(value, validator, path)
    if isinstance(validator, Array):
        return _array(value, validator.element, path, level)
    if isinstance(validator, Object):
        return encode_fields(value, validator.fields, path, level, partial=False)
    if isinstance(validator, Record):
        return _record(value, validator, path, level)
    if isinstance(validator, Union):
        return _union(value, validator, path, level)
    raise rules.mismatch(path, "a value of a known kind", value)


def encode_fields(
    value: Any,
    fields: dict[str, Validator],
    path: str,
    level: int = 1,
    *,
    partial: bool,
) -> dict[str, Any]:
    """An object of `fields` (a document when `path` is ""): unknown fields are refused, and
    required ones missing unless `partial` (a patch). None is refused for an optional field:
    Convex has no `undefined`; leave it out, or unset it."""
    if not isinstance(value, dict):
        raise rules.mismatch(path, "an object (dict)", value)
    rules.fields(len(value), path or "the document")
    out: dict[str, Any] = {}
    for name, item in value.items():
        where = f"{path}.{name}" if path else str(name)
        checked = rules.field_name(name, where) if not path else rules.key(name, where)
        validator = fields.get(checked)
        if validator is None:
            raise refused(where, "there is no such field")
        if item is None and validator.optional and not _accepts_null(validator):
            raise refused(where, "None is not a value here: leave the field out")
        out[checked] = encode(item, validator, where, level + 1)
    if not partial:
        missing = [n for n, f in fields.items() if not f.optional and n not in value]
        if missing:
            where = f"{path}.{missing[0]}" if path else missing[0]
            raise refused(where, "this field is required")
    return out


def encode_document(value: Any, fields: dict[str, Validator], *, partial: bool) -> dict[str, Any]:
    """A whole document (or a patch's fields), with the 1 MiB rule on its encoded size."""
    out = encode_fields(value, fields, "", partial=partial)
    rules.size(len(json.dumps(out, separators=(",", ":"))))
    return out


def _accepts_null(validator: Validator) -> bool:
    if isinstance(validator, Simple):
        return validator.kind in ("null", "any")
    if isinstance(validator, Union):
        return any(_accepts_null(m) for m in validator.members)
    return False


def _simple(value: Any, kind: str, path: str, level: int) -> Any:
    if kind == "any":
        return _any(value, path, level)
    if kind == "string":
        if isinstance(value, str):
            return rules.text(value, path)
    elif kind == "number":
        if isinstance(value, float):
            return _float(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return rules.float64_integer(value, path)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "bigint":
        if isinstance(value, int) and not isinstance(value, bool):
            return _integer(rules.int64(value, path))
    elif kind == "null":
        if value is None:
            return None
    elif kind == "bytes":
        if isinstance(value, bytes | bytearray | memoryview):
            return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    raise rules.mismatch(path, _SIMPLE_KINDS.get(kind, kind), value)


def _any(value: Any, path: str, level: int) -> Any:
    """`v.any()`: an int is a float64 number (as Convex's own JS client sends a number)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return rules.text(value, path)
    if isinstance(value, int):
        return rules.float64_integer(value, path)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list | tuple):
        return _array(value, ANY, path, level)
    if isinstance(value, dict):
        rules.fields(len(value), path or "the value")
        return {
            rules.key(k, f"{path}.{k}"): encode(v, ANY, f"{path}.{k}", level + 1)
            for k, v in value.items()
        }
    raise rules.mismatch(path, "a Convex value", value)


def _float(value: float) -> Any:
    if rules.is_special(value):
        return {"$float": base64.b64encode(struct.pack("<d", value)).decode("ascii")}
    return value


def _integer(value: int) -> dict[str, str]:
    return {"$integer": base64.b64encode(struct.pack("<q", value)).decode("ascii")}


def _literal(value: Any, validator: Literal, path: str) -> Any:
    expected = validator.value
    same_kind = isinstance(value, bool) == isinstance(expected, bool)
    if same_kind and type(value) in (str, int, float, bool) and value == expected:
        return _integer(int(value)) if validator.int64 else value
    raise refused(path, f"expected {json.dumps(expected)}")


def _array(value: Any, element: Validator, path: str, level: int) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise rules.mismatch(path, "a list", value)
    rules.array(len(value), path)
    return [encode(item, element, f"{path}[{i}]", level + 1) for i, item in enumerate(value)]


def _record(value: Any, validator: Record, path: str, level: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise rules.mismatch(path, "an object (dict)", value)
    rules.fields(len(value), path)
    out = {}
    for name, item in value.items():
        where = f"{path}.{name}"
        encode(rules.key(name, where), validator.keys, where, level + 1)
        out[name] = encode(item, validator.values, where, level + 1)
    return out


def _union(value: Any, validator: Union, path: str, level: int) -> Any:
    first: ByodError | None = None
    for member in validator.members:
        try:
            return encode(value, member, path, level)
        except ByodError as error:
            first = first or error
    if len(validator.members) > 1 and all(isinstance(m, Literal) for m in validator.members):
        shown = ", ".join(json.dumps(m.value) for m in validator.members if isinstance(m, Literal))
        raise refused(path, f"expected one of {shown}")
    raise first or rules.mismatch(path, "a value", value)


# --- decoding answers ------------------------------------------------------------------------


def decode(value: Any, what: str = "answer") -> Any:
    """An encoded JSON value from a deployment as Python: `$integer` → int, `$bytes` → bytes,
    `$float` → float, other numbers → float. Raises ByodError(protocol_error) for a shape no
    Convex deployment sends."""
    kind = type(value)
    if kind is str or kind is bool or value is None or kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is list:
        return [decode(item, what) for item in value]
    if kind is dict:
        if len(value) == 1:
            ((name, inner),) = value.items()
            if name.startswith("$"):
                return _special(name, inner, what)
        out = {}
        for name, item in value.items():
            if name.startswith("$"):
                raise ByodError(PROTOCOL_ERROR, f"{what}: an object key starts with $")
            out[name] = decode(item, what)
        return out
    raise ByodError(PROTOCOL_ERROR, f"{what}: a value of kind {kind.__name__}")


def _special(name: str, payload: Any, what: str) -> Any:
    if not isinstance(payload, str):
        raise ByodError(PROTOCOL_ERROR, f"{what}: {name} without base64 text")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ByodError(PROTOCOL_ERROR, f"{what}: {name} is not base64") from None
    if name == "$bytes":
        return raw
    if name in ("$integer", "$float") and len(raw) == 8:
        return struct.unpack("<q" if name == "$integer" else "<d", raw)[0]
    raise ByodError(PROTOCOL_ERROR, f"{what}: unknown or malformed {name[:20]}")
