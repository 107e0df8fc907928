"""The Convex client: the only code in the project that talks to a Convex deployment.

Every call goes through `ConvexClient._call`, which checks the destination against the
SSRF guard before the first connection, sends the admin key only in the Authorization
header (or the push body, where the protocol wants it), never follows redirects, applies
strict timeouts, and turns every failure into a `ConvexError` via `errors.classify`.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import brotli
import httpx
from django.conf import settings

from byod.client.classify import classify
from byod.errors import PROTOCOL_ERROR, ConvexError
from byod.inputs import DeploymentUrl, guard_destination

# Long-poll length we ask `wait_for_schema` for (the official CLI asks for 10 s).
SCHEMA_POLL_MS = 10_000
# How long a whole schema wait (index backfill, document validation) may take.
DEFAULT_SCHEMA_DEADLINE = 30 * 60.0
# Bodies above this size are brotli-compressed, as the official CLI does for pushes.
COMPRESS_ABOVE = 16 * 1024
# Quality 1 compresses a push body about as well as the CLI's 4 for a fraction of the CPU.
BROTLI_QUALITY = 1
USER_AGENT = "byod-control-plane"


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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms of CPU; do it once per process, not per client.
    return httpx.create_ssl_context()


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

    def __init__(
        self,
        url: DeploymentUrl,
        admin_key: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._admin_key = admin_key
        self._timeout = default_timeout() if timeout is None else httpx.Timeout(timeout)
        self._guarded = False
        self._http = httpx.Client(
            base_url=url.url.rstrip("/"),
            timeout=self._timeout,
            follow_redirects=False,
            verify=_tls_context(),
            trust_env=False,  # no proxies or netrc from the environment
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"ConvexClient({self.url.url!r})"

    def __enter__(self) -> ConvexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
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

    # --- functions --------------------------------------------------------------------

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run a query (public or internal: the admin key may call both); returns its value."""
        return self._function("query", path, args)

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
            message = self._scrub(str(body.get("errorMessage") or "(no message)"))
            raise classify(operation=operation, function_error=message)
        raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer without a status")

    # --- push -------------------------------------------------------------------------

    def evaluate_push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a push without applying it (what a dry run does); returns the schema change."""
        return self._push_call("/api/deploy2/evaluate_push", "evaluate_push", body)

    def start_push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start a push: upload modules and stage the schema; returns the start_push answer."""
        return self._push_call("/api/deploy2/start_push", "start_push", body)

    def wait_for_schema(
        self,
        start_response: dict[str, Any],
        *,
        dry_run: bool = False,
        on_progress: ProgressCallback | None = None,
        deadline_seconds: float = DEFAULT_SCHEMA_DEADLINE,
        poll_ms: int | None = None,
    ) -> None:
        """Poll `wait_for_schema` until the staged schema is ready.

        Calls `on_progress` with each in-progress status. Returns when the schema is
        complete; a failed schema, a race, or running past the deadline raises ConvexError.
        """
        poll = poll_ms if poll_ms is not None else self._poll_ms()
        deadline = time.monotonic() + deadline_seconds
        request = {
            "adminKey": self._admin_key,
            "schemaChange": start_response.get("schemaChange", {}),
            "timeoutMs": poll,
            "dryRun": dry_run,
        }
        while True:
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
            if kind == "inProgress":
                progress = _progress(status)
                if on_progress is not None:
                    on_progress(progress)
                if time.monotonic() > deadline:
                    raise classify(
                        operation="wait_for_schema",
                        exception=httpx.ReadTimeout(
                            f"schema not ready after {deadline_seconds:.0f} s"
                        ),
                    )
                continue
            if isinstance(status.get("error"), str):
                status = {**status, "error": self._scrub(status["error"])}
            raise classify(operation="wait_for_schema", schema_status=status)

    def finish_push(
        self, start_response: dict[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Commit a started push (`finish_push`); returns the diff Convex reports."""
        request = {
            "adminKey": self._admin_key,
            "startPush": start_response,
            "dryRun": dry_run,
            "message": None,
        }
        return self._push_call("/api/deploy2/finish_push", "finish_push", request)

    def _push_call(self, path: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "adminKey": self._admin_key}
        answer = self._call("POST", path, operation=operation, json_body=body)
        if not isinstance(answer, dict):
            raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer is not an object")
        return answer

    # --- the one place requests are made ----------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        self._guard()
        headers: dict[str, str] = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Convex {self._admin_key}"
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
            if len(content) > COMPRESS_ABOVE:
                content = brotli.compress(content, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY)
                headers["Content-Encoding"] = "br"
        try:
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise self._scrubbed(classify(operation=operation, exception=exc)) from None
        if not 200 <= response.status_code < 300:
            raise self._scrubbed(classify(operation=operation, response=response))
        if operation == "instance_name":
            return response.text
        try:
            return response.json()
        except (ValueError, httpx.HTTPError) as exc:
            raise self._scrubbed(classify(operation=operation, exception=ValueError(exc))) from None

    def _guard(self) -> None:
        """Check the destination once per client, before the first connection."""
        if self._guarded:
            return
        guard_destination(self.url)
        self._guarded = True

    def _poll_ms(self) -> int:
        # Keep the long poll well inside the read timeout, so a poll is never a timeout.
        read = self._timeout.read or 30.0
        return max(100, min(SCHEMA_POLL_MS, int(read * 1000 / 2)))

    def _scrub(self, text: str) -> str:
        """Remove the key (and its secret part) from text that came back from the server."""
        for secret in _secret_parts(self._admin_key):
            text = text.replace(secret, "[redacted]")
        return text

    def _scrubbed(self, error: ConvexError) -> ConvexError:
        error.replace_detail(self._scrub(error.detail))
        return error


def _secret_parts(key: str) -> list[str]:
    parts = [key]
    if "|" in key:
        token = key.split("|", 1)[1]
        if len(token) >= 8:
            parts.append(token)
    return [p for p in parts if p]


def _progress(status: dict[str, Any]) -> SchemaProgress:
    components = status.get("components") or {}
    done = True
    ready = total = 0
    if isinstance(components, dict):
        for component in components.values():
            if not isinstance(component, dict):
                continue
            done = done and bool(component.get("schemaValidationComplete"))
            ready += int(component.get("indexesComplete") or 0)
            total += int(component.get("indexesTotal") or 0)
    return SchemaProgress(done, ready, total)
