"""A hostile "deployment": a local HTTP server that answers every request with one abuse.

Each mode listens on its own ephemeral port on 127.0.0.1 (a deployment URL has no path to tell
modes apart), started the first time a test asks for it and stopped with the session:

- ``trickle``: a 200 whose body comes one byte every 2 s, forever;
- ``silent``: an answer that never starts (the request is read, nothing is sent);
- ``gzip_bomb``, ``brotli_bomb``: ~1 MB of gzip and ~1.6 kB of brotli that decode to 1 GB;
- ``huge_body``, ``huge_error``: a 100 MB answer, with status 200 or 500;
- ``huge_name``: every text or JSON string (the instance name first) 100 MB long;
- ``deep_json``: JSON nested 100,000 deep;
- ``nan``, ``infinity``, ``big_float``, ``big_int``: a 1e308-ish world: NaN, Infinity, 1e308 or
  10^30 wherever a number goes (a document count, a version, a flag);
- ``echo_key``: a successful answer that echoes the key it was sent, everywhere.

JSON-shaped modes (``deep_json``, the numbers, ``echo_key``) answer ``/instance_name`` with
their name, so a check goes past it to the JSON endpoints. The deploy key of a mode is
``self_hosted_key(instance_name(mode))``.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli

MODES = (
    "trickle",
    "silent",
    "gzip_bomb",
    "brotli_bomb",
    "huge_body",
    "huge_error",
    "huge_name",
    "deep_json",
    "nan",
    "infinity",
    "big_float",
    "big_int",
    "echo_key",
)
NUMBERS = {"nan": "NaN", "infinity": "Infinity", "big_float": "1e308", "big_int": "1" + "0" * 30}
NAMED = {"deep_json", "echo_key", *NUMBERS}  # answer /instance_name with their name
HUNDRED_MB = 100 << 20
CHUNK = 64 << 10
TRICKLE_EVERY = 2.0
_KEY = re.compile(r"Convex (\S+)")


def instance_name(mode: str) -> str:
    return f"hostile-{mode.replace('_', '-')}"


@functools.cache
def gzip_bomb() -> bytes:
    """gzip of 1 GiB of zeros, built in well under a second: after a full flush, each further
    MiB of zeros compresses to the same bytes, so one is repeated (with a true trailer)."""
    mib = b"\0" * (1 << 20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = squeeze.compress(mib) + squeeze.flush(zlib.Z_FULL_FLUSH)
    again = squeeze.compress(mib) + squeeze.flush(zlib.Z_FULL_FLUSH)
    last = (squeeze.compress(mib) + squeeze.flush())[:-8]  # without its (4 MiB) trailer
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(mib, crc)
    return first + again * 1022 + last + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF)


@functools.cache
def brotli_bomb() -> bytes:
    """brotli of 1 GiB of zeros (about 1.6 kB), compressed piece by piece."""
    mib = b"\0" * (1 << 20)
    squeeze = brotli.Compressor(quality=5)
    return b"".join(squeeze.process(mib) for _ in range(1024)) + squeeze.finish()


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        mode = self.server.mode
        try:
            getattr(self, f"_{mode}")(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client gave up: what it should do

    # --- helpers ---------------------------------------------------------------------------

    def head(self, status: int, length: int, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", extra.pop("content_type", "application/json"))
        self.send_header("Content-Length", str(length))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def send_all(self, status: int, data: bytes, **extra: str) -> None:
        self.head(status, len(data), **extra)
        self.wfile.write(data)

    def stream(self, status: int, start: bytes, filler: bytes, total: int) -> None:
        self.head(status, total)
        self.wfile.write(start)
        sent, chunk = len(start), filler * (CHUNK // len(filler))
        while sent < total and not self.server.stopping.is_set():
            piece = chunk[: total - sent]
            self.wfile.write(piece)
            sent += len(piece)

    def named(self) -> bool:
        """Answer /instance_name with the mode's name (JSON-shaped modes)."""
        if self.path.rstrip("/") == "/instance_name":
            self.send_all(200, instance_name(self.server.mode).encode(), content_type="text/plain")
            return True
        return False

    # --- the modes -------------------------------------------------------------------------

    def _trickle(self, body: bytes) -> None:
        self.head(200, 1 << 30)
        self.wfile.write(b'{"v": "')
        while not self.server.stopping.wait(TRICKLE_EVERY):
            self.wfile.write(b"x")
            self.wfile.flush()

    def _silent(self, body: bytes) -> None:
        self.server.stopping.wait(600)

    def _gzip_bomb(self, body: bytes) -> None:
        self.send_all(200, gzip_bomb(), Content_Encoding="gzip")

    def _brotli_bomb(self, body: bytes) -> None:
        self.send_all(200, brotli_bomb(), Content_Encoding="br")

    def _huge_body(self, body: bytes) -> None:
        self.stream(200, b'{"v": "', b"x", HUNDRED_MB)

    def _huge_error(self, body: bytes) -> None:
        self.stream(500, b"error: ", b"e", HUNDRED_MB)

    def _huge_name(self, body: bytes) -> None:
        self.stream(200, b'"', b"n", HUNDRED_MB)

    def _deep_json(self, body: bytes) -> None:
        if not self.named():
            self.send_all(200, b"[" * 100_000 + b"]" * 100_000)

    def _numbers(self, number: str) -> None:
        if self.named():
            return
        text = (
            f'{{"success": true, "isReadOnly": false, "allowedOps": [{number}], '
            f'"status": "success", "value": {number}, "type": "inProgress", '
            f'"components": {{"": {{"indexesComplete": {number}, "indexesTotal": {number}}}}}, '
            f'"tables": [], "count": {number}}}'
        )
        self.send_all(200, text.encode())

    def _nan(self, body: bytes) -> None:
        self._numbers(NUMBERS["nan"])

    def _infinity(self, body: bytes) -> None:
        self._numbers(NUMBERS["infinity"])

    def _big_float(self, body: bytes) -> None:
        self._numbers(NUMBERS["big_float"])

    def _big_int(self, body: bytes) -> None:
        self._numbers(NUMBERS["big_int"])

    def _echo_key(self, body: bytes) -> None:
        if self.named():
            return
        found = _KEY.search(self.headers.get("Authorization") or "")
        key = found.group(1) if found else ""
        if not key and body.startswith(b"{"):
            key = str(json.loads(body).get("adminKey") or "")
        said = f"you sent {key}"
        answer = {
            "success": True,
            "isReadOnly": False,
            "allowedOps": [said],
            "status": "success",
            "value": said,
            "type": said,
            "tables": [{"tableName": key}],
            key: {"type": "Object"},
        }
        self.send_all(200, json.dumps(answer).encode())


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), Hostile)
        self.mode = mode
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True, name=mode)
        self.thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on us all the time: that is the point

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class HostileServers:
    """One server per mode, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[str, HostileServer] = {}

    def url(self, mode: str) -> str:
        if mode not in MODES:
            raise ValueError(f"no hostile mode {mode!r}")
        with self._lock:
            if mode not in self._servers:
                if mode == "gzip_bomb":
                    gzip_bomb()
                elif mode == "brotli_bomb":
                    brotli_bomb()
                self._servers[mode] = HostileServer(mode)
            return self._servers[mode].url

    def stop(self) -> None:
        started = time.monotonic()
        for server in self._servers.values():
            server.stop()
        assert time.monotonic() - started < 30
