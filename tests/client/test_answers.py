"""Reading answers within limits: caps before and after decompression, JSON we accept, the key
taken out of successes (no network: the pieces are fed by hand)."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Iterator

import brotli
import pytest

from byod.client.answers import (
    MAX_DEPTH,
    AnswerTooLarge,
    Scrubber,
    UnreadableAnswer,
    parse_json,
    read_body,
)
from byod.redaction import MARK

SECRET = "0123456789abcdef0123456789abcdef" + "fedcba9876543210fedcba9876543210"


def pieces(data: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def zeros_gzip(megabytes: int) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    return b"".join(squeeze.compress(block) for _ in range(megabytes)) + squeeze.flush()


@pytest.mark.parametrize("encoding", ["", "gzip", "deflate", "br"])
def test_it_decodes_what_fits(encoding: str) -> None:
    body = json.dumps({"value": ["x" * 100] * 100}).encode()
    sent = {
        "": body,
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "br": brotli.compress(body),
    }[encoding]
    assert read_body(pieces(sent, 100), encoding, limit=len(body)) == body


def test_it_reads_raw_deflate_as_some_servers_send_it() -> None:
    squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = squeeze.compress(b'{"a": 1}') + squeeze.flush()
    assert read_body([raw], "deflate", limit=100) == b'{"a": 1}'


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_bomb_stops_at_the_cap_without_inflating(encoding: str) -> None:
    bomb = zeros_gzip(64) if encoding == "gzip" else brotli.compress(b"\0" * (64 << 20), quality=5)
    assert len(bomb) < 100_000  # 64 MiB said in a few kB
    started = time.process_time()
    with pytest.raises(AnswerTooLarge, match="decompressed"):
        read_body(pieces(bomb), encoding, limit=1 << 20)
    assert time.process_time() - started < 1.0


def test_a_body_over_the_cap_as_sent_is_too_large() -> None:
    with pytest.raises(AnswerTooLarge, match="as sent"):
        read_body(pieces(b"x" * 300_000), "", limit=100_000)


def test_an_error_body_is_cut_not_refused() -> None:
    assert read_body(pieces(b"e" * 10_000_000), "", limit=4096, cut=True) == b"e" * 4096
    bomb = zeros_gzip(16)
    assert read_body(pieces(bomb), "gzip", limit=4096, cut=True) == b"\0" * 4096


@pytest.mark.parametrize("encoding", ["zstd", "gzip, br"])
def test_an_encoding_we_do_not_read_is_unreadable(encoding: str) -> None:
    with pytest.raises(UnreadableAnswer):
        read_body([b"x"], encoding, limit=10)


def test_a_corrupt_compressed_body_is_unreadable() -> None:
    with pytest.raises(UnreadableAnswer):
        read_body([b"not brotli at all"], "br", limit=100)


@pytest.mark.parametrize(
    "text",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
        b'{"v": NaN}',
        b'{"v": Infinity}',
        b'{"v": -Infinity}',
        b'{"v": 1e400}',
        b'{"v": ' + b"1" + b"0" * 30 + b"}",
        b'{"v": "unterminated',
        b"\xff\xfe",
    ],
)
def test_it_refuses_json_we_do_not_accept(text: bytes) -> None:
    with pytest.raises(UnreadableAnswer):
        parse_json(text)


def test_it_accepts_deep_enough_json_and_brackets_inside_strings() -> None:
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json(nested) is not None
    brackets = json.dumps({"text": "[" * 10_000, "n": 1e308, "big": 2**63}).encode()
    assert parse_json(brackets) == {"text": "[" * 10_000, "n": 1e308, "big": 2**63}


def test_the_scrubber_finds_any_piece_of_the_secret_and_nothing_else() -> None:
    scrubber = Scrubber(SECRET)
    assert not scrubber.leaks(json.dumps({"docs": ["abc" * 1000, SECRET[:7]]}).encode())
    for start in range(len(SECRET) - 8):
        piece = SECRET[start : start + 8]
        assert scrubber.leaks(f'{{"x": "..{piece}.."}}'.encode()), piece
    assert scrubber.leaks(b'{"x": "\\u0030123456789abcdef"}')  # an escape may hide a piece


def test_it_scrubs_keys_and_values_at_any_depth() -> None:
    scrubber = Scrubber(SECRET)
    answer = {"a": [{"b": f"key {SECRET} end"}], SECRET[10:30]: 1, "n": 2.5}
    scrubbed = scrubber.value(answer)
    assert scrubbed == {"a": [{"b": f"key {MARK} end"}], MARK: 1, "n": 2.5}
    assert scrubber.value(["plain", 1, None]) == ["plain", 1, None]


def test_a_forgotten_secret_scrubs_nothing() -> None:
    scrubber = Scrubber(SECRET)
    scrubber.forget()
    assert not scrubber.leaks(SECRET.encode())
    assert repr(scrubber) == "Scrubber(<secret>)"
