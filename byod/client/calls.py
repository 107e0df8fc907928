"""The one place a request to a Convex deployment is made and its answer read: `Session._call`.

Every call: re-checks the destination against the allow-list (first call of a session) and
connects only to the addresses the SSRF guard vetted (`transport`); sends the admin key only in
the Authorization header (or the push body, where the protocol wants it); never follows a
redirect; ends by its deadline (`budget`: each connect, write and read is clamped to the time
left, and a unit of work's calls share one deadline too); reads at most the budget's bytes,
before and after decompression, and only the first 4 kB of an error; parses JSON with a depth
limit and no NaN, Infinity or oversized numbers; takes the key out of whatever comes back,
successes included; turns every failure into a `ConvexError` (`classify`); and records its
operation, purpose, outcome and time (`metrics`).

**Key lifetime.** A session holds the plaintext deploy key of one unit of work (a request, a
task step) and forgets it when the unit ends (`close()`, the end of its `with` block); the
pooled connections it borrows never hold it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

import brotli
import httpcore
from django.views.decorators.debug import sensitive_variables

from byod.client import metrics
from byod.client.answers import (
    ERROR_BODY_LIMIT,
    AnswerTooLarge,
    Scrubber,
    UnreadableAnswer,
    parse_json,
    read_body,
)
from byod.client.budget import Budget, Clock, Purpose
from byod.client.classify import classify
from byod.client.push_body import BROTLI_QUALITY
from byod.client.transport import DESTINATIONS, deadline
from byod.errors import TIMEOUT, ByodError, ConvexError
from byod.inputs import DeploymentUrl, parse_url
from byod.redaction import secret_of

# Bodies above this size are brotli-compressed, as the official CLI does for pushes: the push
# itself (~450 kB, ~110 kB compressed). Smaller ones (finish_push echoes a ~40 kB start_push
# answer) cost more CPU to compress than their bytes cost to send.
COMPRESS_ABOVE = 64 * 1024
USER_AGENT = "byod-control-plane"
# The calls that change a deployment (a `Session.hold` runs around each of them).
CHANGING_PATHS = frozenset(
    ("/api/deploy2/start_push", "/api/deploy2/finish_push", "/api/mutation", "/api/action")
)
_HEADERS = [
    (b"Accept", b"application/json"),
    (b"Accept-Encoding", b"gzip, deflate, br"),
    (b"User-Agent", USER_AGENT.encode()),
]


# What sending and reading may raise that classify turns into a category.
_FAILURES = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    AnswerTooLarge,
    UnreadableAnswer,
    OSError,
)


@dataclass(frozen=True)
class ErrorAnswer:
    """A non-2xx answer, its body cut to ERROR_BODY_LIMIT before anything read it."""

    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


class Session:
    """One unit of work's calls to one deployment with its admin (deploy) key.

    Use as a context manager, or call `close()`: the key is forgotten then. `budget` (default:
    a deploy's) bounds each call and the whole session; `timeout` lowers every time limit of it.

    `hold`, when set, is entered around every call that changes the deployment (a push's start
    and finish, a mutation, an action) with that call's deadline (monotonic seconds): a deploy
    keeps its lease on the connection for as long as such a call may run, so nobody takes the
    deployment over while the call is under way. It may raise to refuse the call.
    """

    hold: Callable[[float], AbstractContextManager[None]] | None = None

    @sensitive_variables("admin_key")
    def __init__(
        self,
        url: DeploymentUrl,
        admin_key: str,
        *,
        budget: Budget | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url
        self._admin_key = admin_key
        self._scrubber = Scrubber(secret_of(admin_key))
        # Without a purpose (tests, scripts): a deploy's limits, counted apart in the metrics.
        chosen = budget or replace(Budget.of(Purpose.DEPLOY), purpose="other")
        self.budget = chosen.within(timeout) if timeout is not None else chosen
        self._clock = Clock(self.budget)
        self._allowed = False
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url.url!r})"

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the unit of work: the key is forgotten (the pooled connections stay open)."""
        self._admin_key = ""
        self._scrubber.forget()
        self._closed = True

    @property
    def _key(self) -> str:
        if self._closed:
            raise RuntimeError("this Convex client's unit of work has ended: make a new one")
        return self._admin_key

    def _redact(self, text: str) -> str:
        """`text` from the deployment without the key or any long piece of its secret."""
        return self._scrubber.text(text)

    # --- the one place requests are made ----------------------------------------------

    @sensitive_variables("headers", "json_body", "content", "encoded")
    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        label: str | None = None,
        json_body: dict[str, Any] | None = None,
        encoded: bytes | None = None,
        content_encoding: str | None = None,
        auth: bool = True,
        keep_raw: bool = False,
        text: bool = False,
        max_bytes: int | None = None,
        accept: tuple[int, ...] = (),
    ) -> Any:
        """The parsed answer (with `keep_raw`: the parsed answer and its bytes; with `text`:
        the body as text). `operation` names the call in details, `label` in metrics (a
        bounded name; default `operation`). `accept` lists non-2xx statuses whose body is an
        answer too (560: a function's error)."""
        started = time.monotonic()
        outcome = "internal_error"  # replaced below; stays if something of ours broke
        try:
            headers = [*_HEADERS, (b"Host", self.url.url.split("://", 1)[1].encode())]
            if auth:
                headers.append((b"Authorization", f"Convex {self._key}".encode()))
            content = encoded
            if json_body is not None:
                content = json.dumps(json_body, separators=(",", ":"), allow_nan=False).encode()
            if content is not None:
                headers.append((b"Content-Type", b"application/json"))
                if content_encoding is None and len(content) > COMPRESS_ABOVE:
                    content = brotli.compress(
                        content, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY
                    )
                    content_encoding = "br"
                if content_encoding is not None:
                    headers.append((b"Content-Encoding", content_encoding.encode()))
            limit = min(max_bytes or self.budget.answer_bytes, self.budget.answer_bytes)
            raw = self._send(method, path, headers, content, operation, limit, accept)
            answer, scrubbed = self._read(raw, operation, text=text)
            outcome = metrics.OK
            if not keep_raw:
                return answer
            # finish_push sends the start_push answer back as it came (or as we scrubbed it).
            return answer, json.dumps(answer).encode() if scrubbed else raw
        except ByodError as error:
            outcome = error.category
            raise
        finally:
            metrics.record(
                label or operation, self.budget.purpose, outcome, time.monotonic() - started
            )

    @sensitive_variables("headers", "content")
    def _send(
        self,
        method: str,
        path: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes | None,
        operation: str,
        limit: int,
        accept: tuple[int, ...],
    ) -> bytes:
        """Send and read the answer under the call's deadline: its body, decoded. Raises
        the guard's errors as they are and a ConvexError for everything else."""
        if not self._allowed:  # the allow-list may have changed since the URL was parsed
            parse_url(self.url.url)
            self._allowed = True
        at = self._clock.call_deadline()
        left = at - time.monotonic()
        if left <= 0:
            raise ConvexError(TIMEOUT, f"{operation}: no time left for this call")
        timeouts = {
            "connect": min(self.budget.connect, left),
            "read": self.budget.read,
            "write": self.budget.read,
            "pool": min(self.budget.connect, left),
        }
        host = self.url.host.strip("[]")
        target = path.encode("ascii")
        changes = self.hold is not None and method == "POST" and path in CHANGING_PATHS
        held = self.hold(at) if changes and self.hold else contextlib.nullcontext()
        try:
            with held, DESTINATIONS.use(self.url) as destination, deadline(at):
                destination.addresses()  # vetted (and the guard's errors raised) before connecting
                url = httpcore.URL(
                    scheme=self.url.scheme, host=host, port=self.url.port, target=target
                )
                with destination.pool.stream(
                    method, url, headers=headers, content=content, extensions={"timeout": timeouts}
                ) as response:
                    ok = 200 <= response.status < 300 or response.status in accept
                    encoding = _header(response.headers, b"content-encoding")
                    body = read_body(
                        response.iter_stream(),
                        encoding,
                        limit if ok else ERROR_BODY_LIMIT,
                        cut=not ok,
                    )
                    if not ok:
                        retry = _header(response.headers, b"retry-after")
                        failed = ErrorAnswer(response.status, {"retry-after": retry}, body)
                        raise classify(operation=operation, response=failed, redact=self._redact)
                    return body
        except _FAILURES as exc:  # the network's, the deployment's: anything else is a bug
            raise classify(operation=operation, exception=exc, redact=self._redact) from None

    def _read(self, raw: bytes, operation: str, *, text: bool) -> tuple[Any, bool]:
        """The answer parsed (or as text) with any piece of the key taken out, and whether
        something was (or may have been) taken out."""
        leaks = self._scrubber.leaks(raw)
        try:
            answer: Any = raw.decode("utf-8") if text else parse_json(raw)
        except ValueError as exc:
            raise classify(operation=operation, exception=exc, redact=self._redact) from None
        return (self._scrubber.value(answer) if leaks else answer), leaks


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")[:100]
    return ""
