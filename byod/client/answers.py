"""Reading what a deployment answered, within limits, and nothing else.

- `read_body`: the body, decoded by us (gzip, deflate, br) with the size capped before and
  after decompression: an 800-byte brotli answer may say 1 GB. Over the cap, a success is
  `AnswerTooLarge`; an error body is only cut (`ERROR_BODY_LIMIT`) before anything reads it.
- `parse_json`: JSON nested at most `MAX_DEPTH` deep, without NaN or Infinity, without numbers
  beyond a float64's range, or integers beyond 64 bits (a deployment speaks float64 and
  int64): anything else is `UnreadableAnswer`, never a RecursionError.
- `Scrubber`: the deploy key (any piece of it of 8 characters or more) taken out of an answer,
  successful or not. Cheap when the key is not there (nearly always): the raw bytes are
  searched for the 4-character blocks that any such piece must contain, and only a hit costs
  more.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import brotli
from django.views.decorators.debug import sensitive_variables

from byod.redaction import MIN_FRAGMENT, redact

ERROR_BODY_LIMIT = 4096
MAX_DEPTH = 64
_LARGEST_INT = 2**64


class AnswerTooLarge(Exception):
    """An answer over its cap: we stopped reading it."""

    def __init__(self, limit: int, *, decoded: bool) -> None:
        where = "decompressed" if decoded else "as sent"
        super().__init__(f"answer over {limit:,} bytes ({where}); reading stopped")


class UnreadableAnswer(ValueError):
    """An answer that is not JSON we accept (or not encoded in a way we read)."""


# --- bodies ----------------------------------------------------------------------------------


# Decoders hand out at most this much at a time: a bomb never inflates more than one step
# beyond what was read so far.
STEP = 256 * 1024


class _Inflater:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), a step at a time."""

    def __init__(self, encoding: str) -> None:
        self._raw_fallback = encoding == "deflate"
        self._z = zlib.decompressobj(zlib.MAX_WBITS | (0 if self._raw_fallback else 32))

    def __call__(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._z.decompress(data, STEP)
        except zlib.error:
            if not self._raw_fallback:
                raise UnreadableAnswer("the compressed answer is corrupt") from None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, STEP)
        self._raw_fallback = False
        yield out
        while self._z.unconsumed_tail:
            yield self._z.decompress(self._z.unconsumed_tail, STEP)


class _Unbrotli:
    """brotli, a step at a time (the decoder keeps what it could not hand out yet)."""

    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def __call__(self, data: bytes) -> Iterator[bytes]:
        try:
            yield self._d.process(data, output_buffer_limit=STEP)
            while not self._d.can_accept_more_data():
                yield self._d.process(b"", output_buffer_limit=STEP)
        except brotli.error:
            raise UnreadableAnswer("the compressed answer is corrupt") from None


def _identity(data: bytes) -> Iterator[bytes]:
    yield data


def _decoder(encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    """A function decoding the next piece of a body into steps of at most about STEP bytes."""
    if encoding in ("", "identity"):
        return _identity
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater(encoding)
    if encoding == "br":
        return _Unbrotli()
    raise UnreadableAnswer(f"an answer encoded as {encoding[:40]!r}, which we do not read")


def read_body(chunks: Iterable[bytes], encoding: str, limit: int, *, cut: bool = False) -> bytes:
    """The body from `chunks`, decoded, at most `limit` bytes as sent and once decoded.

    Over either, raises AnswerTooLarge, or with `cut` returns the first `limit` bytes decoded
    (and stops reading). Decoding goes a step at a time, so a bomb never inflates in memory
    beyond the cap.
    """
    decode = _decoder(encoding.strip().lower())
    out = bytearray()
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > limit and not cut:
            raise AnswerTooLarge(limit, decoded=False)
        for piece in decode(chunk):
            out += piece
            if len(out) > limit:
                if cut:
                    return bytes(out[:limit])
                raise AnswerTooLarge(limit, decoded=True)
        if received > limit:  # cut: enough read
            break
    return bytes(out)


# --- JSON ------------------------------------------------------------------------------------

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = b"[{"
# Numbers that need a closer look: 20 digits or more (beyond 64 bits), or a three-digit
# exponent (beyond a float64). Looked for in the raw text with digits, signs and exponent marks
# made alike first (a few fast searches): rare, so the common answer parses with the C
# scanner's own number handling. A hit inside a string only costs the closer look.
_ALIKE = bytes.maketrans(b"123456789E-", b"000000000e+")
_RISKY = (b"0" * 20, b"e000", b"e+000")


def _refuse_constant(name: str) -> Any:
    raise UnreadableAnswer(f"{name} is not a number we accept")


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > _LARGEST_INT:
        raise UnreadableAnswer("an integer beyond 64 bits")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise UnreadableAnswer("a number beyond a float64's range")
    return value


def too_deep(raw: bytes) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH in the JSON text `raw`."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for byte in _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENING else -1
        if depth > MAX_DEPTH:
            return True
    return False


def parse_json(raw: bytes) -> Any:
    """`raw` parsed; anything we do not accept raises UnreadableAnswer."""
    if too_deep(raw):
        raise UnreadableAnswer(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        alike = raw.translate(_ALIKE)
        if any(risky in alike for risky in _RISKY):
            return json.loads(
                raw,
                parse_constant=_refuse_constant,
                parse_int=_bounded_int,
                parse_float=_finite_float,
            )
        return json.loads(raw, parse_constant=_refuse_constant)
    except UnreadableAnswer:
        raise
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise UnreadableAnswer(f"not JSON ({type(error).__name__})") from None


# --- the key ---------------------------------------------------------------------------------


class Scrubber:
    """Takes the deploy key's secret (any piece of `MIN_FRAGMENT` characters or more) out of
    answers. Any such piece contains one of the secret's 4-character blocks at offsets 0, 4,
    8...: those are searched for first, in the raw bytes (fast); only a hit costs more."""

    BLOCK = MIN_FRAGMENT // 2

    @sensitive_variables("secret")
    def __init__(self, secret: str) -> None:
        self._secret = secret
        raw = secret.encode()
        size = min(MIN_FRAGMENT, len(raw))
        self._windows = {raw[i : i + size] for i in range(len(raw) - size + 1)} if raw else set()
        step = self.BLOCK if len(raw) >= MIN_FRAGMENT else max(1, len(raw))
        self._blocks = {raw[i : i + step] for i in range(0, len(raw) - step + 1, step)}

    def __repr__(self) -> str:
        return "Scrubber(<secret>)"

    def forget(self) -> None:
        self._secret, self._windows, self._blocks = "", set(), set()

    def leaks(self, raw: bytes) -> bool:
        """Whether `raw` holds a piece of the secret (or, escaped in JSON, may hold one)."""
        for block in self._blocks:
            at = raw.find(block)
            while at != -1:
                near = raw[max(0, at - MIN_FRAGMENT) : at + MIN_FRAGMENT + len(block)]
                if any(near[i : i + MIN_FRAGMENT] in self._windows for i in range(len(near))):
                    return True
                at = raw.find(block, at + 1)
        # A JSON escape (\u0041 for A, \/ for /) could hide a piece from a search of the bytes.
        return bool(self._blocks) and (b"\\u" in raw or b"\\/" in raw)

    def text(self, text: str) -> str:
        """`text` without any piece of the secret."""
        return redact(text, self._secret) if self._secret else text

    def value(self, value: Any) -> Any:
        """A parsed answer without any piece of the secret in its strings and keys."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        return value
