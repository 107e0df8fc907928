"""The Convex client: the only code in the project that talks to a Convex deployment.

Every call goes through `ConvexClient._call`. The first one checks the destination with
the SSRF guard and pins the connection to the addresses it vetted (`transport.py`); every
call sends the admin key only in the Authorization header (or the push body, where the
protocol wants it), never follows redirects, applies strict timeouts, removes the key (and
any long piece of it) from whatever comes back, and turns every failure into a `ConvexError`
via `classify`.
"""

from __future__ import annotations

import functools
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brotli
import httpx
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from byod.client.classify import classify
from byod.client.push_body import BROTLI_QUALITY, PushBody, StartedPush
from byod.client.transport import PinnedTransport
from byod.errors import PROTOCOL_ERROR, TIMEOUT, ConvexError
from byod.guard import guard_destination
from byod.inputs import DeploymentUrl
from byod.redaction import redact, secret_of

# Long-poll length we ask `wait_for_schema` for (the official CLI asks for 10 s).
SCHEMA_POLL_MS = 10_000
# A deployment that answers before the long poll is over gets a pause before the next poll,
# doubling from the first to the last, so a busy "in progress" never becomes a tight loop.
POLL_PAUSE_FIRST, POLL_PAUSE_MAX = 0.25, 5.0
# Bodies above this size are brotli-compressed, as the official CLI does for pushes: the push
# itself (~450 kB, ~110 kB compressed). Smaller ones (finish_push echoes a ~40 kB start_push
# answer) cost more CPU to compress than their bytes cost to send.
COMPRESS_ABOVE = 64 * 1024
USER_AGENT = "byod-control-plane"
# The backend's own query counting one table's documents (what `npx convex data` shows).
TABLE_SIZE_QUERY = "_system/cli/tableSize:default"


@dataclass(frozen=True)
class SchemaProgress:
    """One `wait_for_schema` status while it is in progress, summed over components."""

    schema_validation_complete: bool
    indexes_ready: int
    indexes_total: int

    @property
    def phase(self) -> str:
        if self.indexes_ready < self.indexes_total:
            return "backfilling indexes"
        if not self.schema_validation_complete:
            return "validating documents"
        return "finishing schema"


ProgressCallback = Callable[[SchemaProgress], None]


_TLS_LOCK = threading.Lock()


@functools.cache
def _make_tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms of CPU; do it once per process, not per client, and
    # not once per thread either: a driver's threads all start their first deploy at once.
    with _TLS_LOCK:
        return _make_tls_context()


def default_timeout() -> httpx.Timeout:
    connect = float(settings.BYOD_CONNECT_TIMEOUT)
    read = float(settings.BYOD_READ_TIMEOUT)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


class ConvexClient:
    """A connection to one Convex deployment, authenticated with its admin (deploy) key.

    Methods return parsed JSON or raise `ConvexError`; an unsafe destination raises the
    guard's `InputError` before any connection is made. Use as a context manager, or
    call `close()`, to release the connection pool.
    """

    @sensitive_variables("admin_key")
    def __init__(
        self, url: DeploymentUrl, admin_key: str, *, timeout: httpx.Timeout | float | None = None
    ) -> None:
        self.url = url
        self._admin_key = admin_key
        self._secret = secret_of(admin_key)
        self._timeout = default_timeout() if timeout is None else httpx.Timeout(timeout)
        self._http: PinnedTransport | None = None

    def __repr__(self) -> str:
        return f"ConvexClient({self.url.url!r})"

    def __enter__(self) -> ConvexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # --- reads ------------------------------------------------------------------------

    def check_admin_key(self) -> dict[str, Any]:
        """Check the key against the deployment (`GET /api/check_admin_key`).

        Returns the answer (`allowedOps`, `isReadOnly`); a refused key raises a
        `bad_credentials` ConvexError.
        """
        body = self._call("GET", "/api/check_admin_key", operation="check_admin_key")
        if not isinstance(body, dict) or body.get("success") is False:
            raise ConvexError(PROTOCOL_ERROR, "check_admin_key: answer without success")
        return body

    def instance_name(self) -> str:
        """The deployment's instance name (`GET /instance_name`; needs no auth)."""
        body = self._call("GET", "/instance_name", operation="instance_name", auth=False)
        if isinstance(body, str) and body.strip():
            return body.strip()
        raise ConvexError(PROTOCOL_ERROR, "instance_name: empty or non-text answer")

    def get_schema(self) -> dict[str, Any] | None:
        """The deployment's active schema (`{"tables": [...], ...}`), or None when it has none."""
        body = self._call("GET", "/api/streaming_import/get_schema", operation="get_schema")
        if body is None:
            return None
        if not isinstance(body, dict):
            raise ConvexError(PROTOCOL_ERROR, "get_schema: answer is neither null nor an object")
        return body

    def tables_with_documents(self) -> list[str]:
        """User tables that hold documents, schema or not (`GET /api/shapes2`: each table's
        inferred shape, "Never" for an empty one), sorted."""
        body = self._call("GET", "/api/shapes2", operation="shapes2")
        if not isinstance(body, dict):
            raise ConvexError(PROTOCOL_ERROR, "shapes2: answer is not an object")
        return sorted(
            str(name)
            for name, shape in body.items()
            if not str(name).startswith("_")
            and not (isinstance(shape, dict) and shape.get("type") == "Never")
        )

    # --- functions --------------------------------------------------------------------

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run a query (public or internal: the admin key may call both); returns its value."""
        return self._function("query", path, args)

    def table_size(self, table: str) -> int:
        """How many documents `table` holds (0 for a table that does not exist): the system
        query the Convex CLI and dashboard count with, `_system/cli/tableSize`, which the
        backend answers with `db.query(table).count()`. Needs the admin key."""
        value = self.query(TABLE_SIZE_QUERY, {"tableName": table})
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConvexError(PROTOCOL_ERROR, f"{TABLE_SIZE_QUERY}: answer is not a count")
        if value != int(value):
            raise ConvexError(PROTOCOL_ERROR, f"{TABLE_SIZE_QUERY}: answer is not a whole number")
        return int(value)

    def mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run a mutation (public or internal); returns its value."""
        return self._function("mutation", path, args)

    def _function(self, kind: str, path: str, args: dict[str, Any] | None) -> Any:
        operation = f"{kind} {path}"
        body = self._call(
            "POST",
            f"/api/{kind}",
            operation=operation,
            json_body={"path": path, "args": args or {}, "format": "json"},
        )
        if not isinstance(body, dict):
            raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer is not an object")
        if body.get("status") == "success":
            return body.get("value")
        if body.get("status") == "error":
            message = str(body.get("errorMessage") or "(no message)")
            raise classify(operation=operation, function_error=message, redact=self._redact)
        raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer without a status")

    # --- push -------------------------------------------------------------------------

    def evaluate_push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a push without applying it (what a dry run does); returns the schema change."""
        return self._push_call("/api/deploy2/evaluate_push", "evaluate_push", body)

    def start_push(self, body: dict[str, Any] | PushBody) -> dict[str, Any]:
        """Start a push: upload modules and stage the schema; returns the start_push answer.
        `body` may be a `PushBody`: serialized once, with only the key and flags filled in."""
        if isinstance(body, PushBody):
            encoded = body.encode_brotli(self._admin_key)
            answer, raw = self._call(
                "POST",
                "/api/deploy2/start_push",
                operation="start_push",
                encoded=encoded,
                content_encoding="br",
                keep_raw=True,
            )
            if not isinstance(answer, dict):
                raise ConvexError(PROTOCOL_ERROR, "start_push: answer is not an object")
            return StartedPush(answer, raw)
        return self._push_call("/api/deploy2/start_push", "start_push", body)

    @sensitive_variables("request")
    def wait_for_schema(
        self,
        start_response: dict[str, Any],
        *,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
        deadline_seconds: float | None = None,
        poll_ms: int | None = None,
    ) -> None:
        """Poll `wait_for_schema` until the staged schema is ready.

        Each poll asks the deployment to hold the answer up to `poll_ms` (a long poll); one
        that answers sooner gets a pause before the next poll, doubling up to 5 s. Calls
        `on_progress` after each in-progress answer (it may raise to stop waiting). Returns
        when the schema is complete; a failed schema, a race, an answer we cannot read, or
        running past `deadline_seconds` (default: the BYOD_SCHEMA_WAIT_SECONDS setting)
        raises ConvexError.
        """
        poll = poll_ms if poll_ms is not None else self._poll_ms()
        limit = settings.BYOD_SCHEMA_WAIT_SECONDS if deadline_seconds is None else deadline_seconds
        deadline = time.monotonic() + limit
        pause = POLL_PAUSE_FIRST
        request = {
            "adminKey": self._admin_key,
            "schemaChange": start_response.get("schemaChange", {}),
            "timeoutMs": poll,
            "dryRun": dry_run,
        }
        while True:
            sent = time.monotonic()
            status = self._call(
                "POST",
                "/api/deploy2/wait_for_schema",
                operation="wait_for_schema",
                json_body=request,
            )
            if not isinstance(status, dict):
                raise ConvexError(PROTOCOL_ERROR, "wait_for_schema: answer is not an object")
            kind = status.get("type")
            if kind == "complete":
                return
            if kind != "inProgress":
                raise classify(
                    operation="wait_for_schema", schema_status=status, redact=self._redact
                )
            progress = _progress(status)
            if on_progress is not None:
                on_progress(progress)
            now = time.monotonic()
            if now >= deadline:
                raise ConvexError(
                    TIMEOUT, f"wait_for_schema: the schema was not ready after {limit:.0f} s"
                )
            if now - sent < poll / 2000:  # answered well before the long poll was over
                time.sleep(min(pause, deadline - now))
                pause = min(pause * 2, POLL_PAUSE_MAX)
            else:
                pause = POLL_PAUSE_FIRST

    @sensitive_variables("request")
    def finish_push(
        self, start_response: dict[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Commit a started push (`finish_push`); returns the diff Convex reports."""
        if isinstance(start_response, StartedPush):  # its answer echoed as it came
            encoded = start_response.finish_request(self._admin_key, dry_run=dry_run)
            answer = self._call(
                "POST", "/api/deploy2/finish_push", operation="finish_push", encoded=encoded
            )
            if not isinstance(answer, dict):
                raise ConvexError(PROTOCOL_ERROR, "finish_push: answer is not an object")
            return answer
        request = {
            "adminKey": self._admin_key,
            "startPush": start_response,
            "dryRun": dry_run,
            "message": None,
        }
        return self._push_call("/api/deploy2/finish_push", "finish_push", request)

    @sensitive_variables("body")
    def _push_call(self, path: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "adminKey": self._admin_key}
        answer = self._call("POST", path, operation=operation, json_body=body)
        if not isinstance(answer, dict):
            raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer is not an object")
        return answer

    # --- the one place requests are made ----------------------------------------------

    @sensitive_variables("headers", "json_body", "content", "encoded")
    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: dict[str, Any] | None = None,
        encoded: bytes | None = None,
        content_encoding: str | None = None,
        auth: bool = True,
        keep_raw: bool = False,
    ) -> Any:
        """The parsed answer (with `keep_raw`: the parsed answer and its bytes)."""
        http = self._connection()
        headers: dict[str, str] = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Convex {self._admin_key}"
        content: bytes | None = encoded
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
            if content_encoding is not None:
                headers["Content-Encoding"] = content_encoding
            elif len(content) > COMPRESS_ABOVE:
                content = brotli.compress(content, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY)
                headers["Content-Encoding"] = "br"
        try:
            response = http.send(method, path, headers, content, self._timeout)
        except httpx.HTTPError as exc:
            raise classify(operation=operation, exception=exc, redact=self._redact) from None
        if not 200 <= response.status_code < 300:
            raise classify(operation=operation, response=response, redact=self._redact)
        if operation == "instance_name":
            return response.text
        try:
            answer = response.json()
        except (ValueError, httpx.HTTPError) as exc:
            unreadable = ValueError(type(exc).__name__)
            raise classify(operation=operation, exception=unreadable, redact=self._redact) from None
        return (answer, response.content) if keep_raw else answer

    def _connection(self) -> PinnedTransport:
        """The HTTP transport, made at the first call: check the destination with the SSRF
        guard, then connect only to the addresses it checked. No proxies or netrc from the
        environment, no redirects followed (`PinnedTransport.send`)."""
        if self._http is None:
            addresses = guard_destination(self.url)
            self._http = PinnedTransport(
                self.url.host,
                addresses,
                _tls_context(),
                base_url=self.url.url.rstrip("/"),
                user_agent=USER_AGENT,
            )
        return self._http

    def _poll_ms(self) -> int:
        # Keep the long poll well inside the read timeout, so a poll is never a timeout.
        read = self._timeout.read or 30.0
        return max(100, min(SCHEMA_POLL_MS, int(read * 1000 / 2)))

    def _redact(self, text: str) -> str:
        """`text` from the deployment without the key or any long piece of its secret."""
        return redact(text, self._secret)


def _progress(status: dict[str, Any]) -> SchemaProgress:
    """An in-progress answer summed over its components; anything malformed is a
    protocol error (the deployment does not speak the protocol we know)."""
    components = status.get("components", {})
    if not isinstance(components, dict):
        raise ConvexError(PROTOCOL_ERROR, "wait_for_schema: components is not an object")
    done = True
    ready = total = 0
    for name, component in components.items():
        if not isinstance(component, dict):
            raise ConvexError(PROTOCOL_ERROR, f"wait_for_schema: component {name!r} unreadable")
        counts = [component.get("indexesComplete", 0), component.get("indexesTotal", 0)]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            raise ConvexError(
                PROTOCOL_ERROR, f"wait_for_schema: index counts of {name!r} are not counts"
            )
        done = done and component.get("schemaValidationComplete") is True
        ready += counts[0]
        total += counts[1]
    return SchemaProgress(done, ready, total)
