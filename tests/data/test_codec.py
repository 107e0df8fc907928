"""Python values to Convex's encoded JSON and back: known encodings, refusals with their path."""

from __future__ import annotations

import base64
import math
import random
import struct
from typing import Any

import pytest

from byod.data import codec
from byod.data.errors import DataError
from byod.errors import PROTOCOL_ERROR, VALUE_REFUSED, ByodError
from byod.package import get_schema
from byod.schema import v

NOTES = get_schema().tables["notes"].fields


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def refusal(value: Any, validator: Any = codec.ANY) -> str:
    with pytest.raises(DataError) as caught:
        codec.encode(value, validator, "doc")
    assert caught.value.category == VALUE_REFUSED
    return caught.value.detail


def test_it_encodes_int64_only_where_the_schema_says_int64() -> None:
    assert codec.encode(5, v.int64()) == {"$integer": b64(struct.pack("<q", 5))}
    assert codec.encode(-(2**63), v.int64()) == {"$integer": "AAAAAAAAAIA="}
    assert codec.encode(5, v.number()) == 5
    assert codec.encode(5, v.any()) == 5


def test_it_refuses_an_int_a_float64_would_change() -> None:
    assert codec.encode(2**53, v.number()) == 2**53
    assert "2^53" in refusal(2**53 + 1, v.number())
    assert "2^53" in refusal(-(2**60), v.any())
    assert "2^63" in refusal(2**63, v.int64())


def test_it_sends_special_floats_as_float_objects_and_reads_them_back() -> None:
    for value in (math.inf, -math.inf, -0.0):
        encoded = codec.encode(value, v.number())
        assert encoded == {"$float": b64(struct.pack("<d", value))}
        back = codec.decode(encoded)
        assert back == value and math.copysign(1, back) == math.copysign(1, value)
    nan = codec.decode(codec.encode(math.nan, v.float64()))
    assert math.isnan(nan)
    assert codec.encode(0.0, v.number()) == 0.0


def test_it_round_trips_bytes() -> None:
    assert codec.encode(b"\x00\xff", v.bytes()) == {"$bytes": "AP8="}
    assert codec.decode({"$bytes": "AP8="}) == b"\x00\xff"


def test_random_values_round_trip_through_the_encoding() -> None:
    rng = random.Random(19)  # a fixed seed: the same values every run

    def value(depth: int) -> Any:
        pick = rng.randrange(8 if depth < 4 else 5)
        if pick == 0:
            return rng.choice([None, True, False])
        if pick == 1:
            return rng.uniform(-1e300, 1e300)
        if pick == 2:
            return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(8)))
        if pick == 3:
            return rng.randbytes(rng.randrange(10))
        if pick == 4:
            return rng.choice([math.inf, -math.inf, -0.0, 1.5])
        if pick == 5:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randrange(4))}

    for _ in range(500):
        original = value(0)
        assert codec.decode(codec.encode(original)) == original


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"$ref": 1}, "may not start with $"),
        ({"naïve": 1}, "ASCII"),
        ({"a\tb": 1}, "control"),
        ({"k" * 1025: 1}, "1024 characters"),
        ({"ok": {"inner": {"$x": 1}}}, "may not start with $"),
        ("\ud800", "Unicode"),
        (object(), "expected a Convex value"),
    ],
)
def test_it_refuses_what_convex_refuses(value: Any, words: str) -> None:
    assert words in refusal(value)


def test_it_names_the_field_path_of_a_refused_value() -> None:
    deep: Any = {"items": [{"fine": 1}, {"$ref": "#/x"}]}
    detail = refusal(deep)
    assert detail.startswith("doc.items[1].$ref:")


def test_it_refuses_nesting_deeper_than_sixteen_and_long_arrays() -> None:
    nested: Any = 1
    for _ in range(17):
        nested = [nested]
    assert "16 levels" in refusal(nested)
    assert "8192 items" in refusal([0] * 8193)
    assert "1024 fields" in refusal({f"f{i}": 0 for i in range(1025)})


def test_a_document_is_checked_against_its_table() -> None:
    good = {
        "title": "T",
        "content": "C",
        "isPinned": False,
        "isArchived": False,
        "createdAt": 1.0,
        "updatedAt": 2.0,
    }
    good = {k: val for k, val in good.items() if k in NOTES}
    fields = {k: f for k, f in NOTES.items() if k != "userId"}
    assert codec.encode_document(good, fields, partial=False) == good
    with pytest.raises(DataError, match="no such field"):
        codec.encode_document({**good, "colour": "red"}, fields, partial=False)
    with pytest.raises(DataError, match="belong to Convex"):
        codec.encode_document({**good, "_id": "x"}, fields, partial=False)
    with pytest.raises(DataError, match="required"):
        codec.encode_document({}, fields, partial=False)
    assert codec.encode_document({}, fields, partial=True) == {}
    with pytest.raises(DataError, match="expected text"):
        codec.encode_document({"title": 3}, fields, partial=True)


def test_a_document_over_one_mebibyte_is_refused() -> None:
    with pytest.raises(DataError, match="1 MiB"):
        codec.encode_document({"big": "x" * (1024 * 1024)}, {"big": v.string()}, partial=False)


def test_literals_and_unions_choose_their_member() -> None:
    role = v.union(v.literal("user"), v.literal("assistant"))
    assert codec.encode("user", role) == "user"
    assert 'one of "user", "assistant"' in refusal("robot", role)
    assert codec.encode(1, v.union(v.int64(), v.string())) == codec.encode(1, v.int64())
    assert "expected" in refusal(True, v.literal(1))
    assert "leave the field out" in codec_refusal_for_none()


def codec_refusal_for_none() -> str:
    with pytest.raises(DataError) as caught:
        codec.encode_fields({"title": None}, {"title": v.optional(v.string())}, "", partial=True)
    return caught.value.detail


@pytest.mark.parametrize(
    "answer",
    [
        {"$integer": "AAAA"},
        {"$float": 1},
        {"$bytes": "!!"},
        {"$other": "AA=="},
        {"a": 1, "$b": 2},
        {"x": {1, 2}},
    ],
)
def test_it_reads_answers_strictly(answer: Any) -> None:
    with pytest.raises(ByodError) as caught:
        codec.decode(answer)
    assert caught.value.category == PROTOCOL_ERROR


def test_plain_numbers_are_read_as_float64() -> None:
    decoded = codec.decode({"n": 3, "i": {"$integer": b64(struct.pack("<q", 2**62))}})
    assert decoded == {"n": 3.0, "i": 2**62}
    assert type(decoded["n"]) is float and type(decoded["i"]) is int
