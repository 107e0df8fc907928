"""What Convex refuses in a value, checked before anything is sent (DESIGN, "Data plane facts").

Each rule is here once, with Convex's limit; `byod.data.codec` applies them while it encodes,
so a refused value costs no call and the error names the field path (`notes.body`,
`metadata.items[3].$ref`). Convex would refuse the same values after a round trip, billed, with
words about its own internals; a value it would silently change (an int beyond 2^53 as a
float64) is refused too.
"""

from __future__ import annotations

import math

from byod.data.errors import DataError, refused

MAX_KEY = 1024
MAX_DEPTH = 16
MAX_FIELDS = 1024
MAX_ARRAY = 8192
MAX_DOCUMENT = 1024 * 1024  # bytes of the encoded document
MAX_SAFE_INTEGER = 2**53  # every integer up to here is exact in a float64
INT64 = (-(2**63), 2**63 - 1)


def key(name: object, path: str) -> str:
    """`name` as an object key Convex accepts at any depth, or a refusal."""
    if not isinstance(name, str):
        raise refused(path, f"a key must be text, not {type(name).__name__}")
    if len(name) > MAX_KEY:
        raise refused(path, f"a key is at most {MAX_KEY} characters")
    if name.startswith("$"):
        raise refused(path, "a key may not start with $")
    if not name.isascii():
        raise refused(path, "a key may hold ASCII characters only")
    if not name.isprintable():
        raise refused(path, "a key may not hold control characters")
    return name


def field_name(name: object, path: str) -> str:
    """A top-level field of a document: a key, not one of Convex's own (`_id`...)."""
    checked = key(name, path)
    if checked.startswith("_"):
        raise refused(path, "fields starting with _ belong to Convex")
    return checked


def depth(level: int, path: str) -> None:
    if level > MAX_DEPTH:
        raise refused(path, f"values nest at most {MAX_DEPTH} levels deep")


def fields(count: int, path: str) -> None:
    if count > MAX_FIELDS:
        raise refused(path, f"an object holds at most {MAX_FIELDS} fields")


def array(count: int, path: str) -> None:
    if count > MAX_ARRAY:
        raise refused(path, f"a list holds at most {MAX_ARRAY} items")


def text(value: str, path: str) -> str:
    """A string Convex can hold: valid Unicode (no lone surrogates)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise refused(path, "the text is not valid Unicode") from None
    return value


def float64_integer(value: int, path: str) -> int:
    """An int sent as a float64: exact only up to 2^53."""
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise refused(path, "a whole number beyond 2^53 would lose digits as a number")
    return value


def int64(value: int, path: str) -> int:
    if not INT64[0] <= value <= INT64[1]:
        raise refused(path, "a 64-bit integer is between -2^63 and 2^63-1")
    return value


def size(encoded_bytes: int, path: str = "") -> None:
    if encoded_bytes > MAX_DOCUMENT:
        raise refused(path, "a document is at most 1 MiB")


def is_special(value: float) -> bool:
    """NaN, ±infinity and -0: sent as `{"$float": ...}` (JSON has no words for them)."""
    return not math.isfinite(value) or (value == 0.0 and math.copysign(1.0, value) < 0)


def mismatch(path: str, expected: str, value: object) -> DataError:
    """A value of the wrong kind for its validator (names the kinds, never the value)."""
    return refused(path, f"expected {expected}, not {type(value).__name__}")
