"""Push requests serialized once: the ~450 kB push body of a version, and the echo of a
start_push answer that finish_push sends back. A rollout sends the same bytes to a thousand
deployments; serializing, compressing and re-encoding them per deploy was most of its CPU."""

from __future__ import annotations

import json
from typing import Any

import brotli
from django.views.decorators.debug import sensitive_variables

# Quality 1 compresses a push body about as well as the CLI's 4 for a fraction of the CPU.
BROTLI_QUALITY = 1


class PushBody:
    """A push request serialized and compressed once: the artifact's JSON with the key
    appended per use. Serializing a 450 kB artifact for each of a thousand
    deploys was the larger part of a deploy's CPU; compressing it, 1.7 ms of the rest."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        fields = {k: v for k, v in artifact.items() if k not in ("adminKey", "dryRun")}
        text = json.dumps(fields, separators=(",", ":"))
        if not text.endswith("}") or text == "{}":
            raise ValueError("a push request is a non-empty JSON object")
        # A real push: a dry run is an evaluate_push of the plain body (services/deploys/push.py).
        self._head = (text[:-1] + ',"dryRun":false,"adminKey":').encode()
        # The head as a brotli stream left open: flushed, so it ends on a byte boundary where
        # each use appends its key as an uncompressed meta-block and the stream's last block.
        compressor = brotli.Compressor(mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY)
        self._head_br: bytes = compressor.process(self._head) + compressor.flush()

    @sensitive_variables("admin_key")
    def encode(self, admin_key: str) -> bytes:
        return self._head + json.dumps(admin_key).encode() + b"}"

    @sensitive_variables("admin_key", "tail", "whole")
    def encode_brotli(self, admin_key: str) -> bytes:
        """`encode(admin_key)` brotli-compressed (RFC 7932): the head compressed once, then
        the key's bytes stored as they are (an uncompressed meta-block), then an empty last
        meta-block."""
        tail = json.dumps(admin_key).encode() + b"}"
        if len(tail) > 1 << 16:  # more than a 4-nibble length says; never for a real key
            whole: bytes = brotli.compress(self.encode(admin_key), quality=BROTLI_QUALITY)
            return whole
        # ISLAST=0, MNIBBLES=4 (code 0), MLEN-1 in 16 bits, ISUNCOMPRESSED=1, padded to a byte.
        header = (((len(tail) - 1) << 3) | (1 << 19)).to_bytes(3, "little")
        return self._head_br + header + tail + b"\x03"  # ISLAST=1, ISLASTEMPTY=1


class StartedPush(dict[str, Any]):
    """A start_push answer (the parsed object) with the bytes it came as: finish_push sends
    those back as they are instead of re-encoding ~40 kB (it is never changed meanwhile)."""

    def __init__(self, answer: dict[str, Any], raw: bytes) -> None:
        super().__init__(answer)
        self.raw = raw

    @sensitive_variables("admin_key")
    def finish_request(self, admin_key: str, *, dry_run: bool) -> bytes:
        flag = b"true" if dry_run else b"false"
        key = json.dumps(admin_key).encode()
        return b'{"adminKey":%s,"startPush":%s,"dryRun":%s,"message":null}' % (key, self.raw, flag)
