"""The admin API of a deployment: the key check, what it holds, and the push protocol.

- `check_admin_key`, `instance_name`, `get_schema`, `tables_with_documents` (shapes2) and
  `table_size` (the `_system/cli/tableSize` query the CLI and dashboard count with);
- the push, as `npx convex deploy` does it: `evaluate_push` (a dry run), `start_push`, polling
  `wait_for_schema` until the schema is ready (a deadline over all polls, besides each poll's
  own), `finish_push`.

Every answer is checked before it is returned: counts are whole numbers from 0 to 2^53, an
instance name is a short printable text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.views.decorators.debug import sensitive_variables

from byod.client import values
from byod.client.classify import classify
from byod.client.function_api import SMALL_ANSWER, FunctionApi
from byod.client.push_body import PushBody, StartedPush
from byod.conf import conf
from byod.errors import PROTOCOL_ERROR, TIMEOUT, ConvexError

# Long-poll length we ask `wait_for_schema` for (the official CLI asks for 10 s).
SCHEMA_POLL_MS = 10_000
# A deployment that answers before the long poll is over gets a pause before the next poll,
# doubling from the first to the last, so a busy "in progress" never becomes a tight loop.
POLL_PAUSE_FIRST, POLL_PAUSE_MAX = 0.25, 5.0
# The backend's own query counting one table's documents (what `npx convex data` shows).
TABLE_SIZE_QUERY = "_system/cli/tableSize:default"
NAME_ANSWER = 4 * 1024


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


class AdminApi(FunctionApi):
    """The admin endpoints of one deployment, on top of its functions."""

    # --- reads ------------------------------------------------------------------------

    def check_admin_key(self) -> dict[str, Any]:
        """Check the key against the deployment (`GET /api/check_admin_key`).

        Returns the answer (`allowedOps`, `isReadOnly`); a refused key raises a
        `bad_credentials` ConvexError.
        """
        body = self._call(
            "GET", "/api/check_admin_key", operation="check_admin_key", max_bytes=SMALL_ANSWER
        )
        if not isinstance(body, dict) or body.get("success") is False:
            raise ConvexError(PROTOCOL_ERROR, "check_admin_key: answer without success")
        return body

    def instance_name(self) -> str:
        """The deployment's instance name (`GET /instance_name`; needs no auth), cut to 200
        printable characters."""
        body = self._call(
            "GET",
            "/instance_name",
            operation="instance_name",
            auth=False,
            text=True,
            max_bytes=NAME_ANSWER,
        )
        return values.shown_text(body, "instance_name")

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
        inferred shape, "Never" for an empty one), sorted; names cut to 200 characters."""
        body = self._call("GET", "/api/shapes2", operation="shapes2")
        if not isinstance(body, dict):
            raise ConvexError(PROTOCOL_ERROR, "shapes2: answer is not an object")
        return sorted(
            values.shown_text(name, "shapes2: table name")
            for name, shape in body.items()
            if not str(name).startswith("_")
            and not (isinstance(shape, dict) and shape.get("type") == "Never")
        )

    def table_size(self, table: str) -> int:
        """How many documents `table` holds (0 for a table that does not exist): the system
        query the Convex CLI and dashboard count with, `_system/cli/tableSize`, which the
        backend answers with `db.query(table).count()`. Needs the admin key."""
        value = self._function(
            "query",
            TABLE_SIZE_QUERY,
            {"tableName": table},
            label="tableSize",
            max_bytes=SMALL_ANSWER,
        )
        return values.count(value, TABLE_SIZE_QUERY)

    # --- push -------------------------------------------------------------------------

    def evaluate_push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a push without applying it (what a dry run does); returns the schema change."""
        return self._push_call("/api/deploy2/evaluate_push", "evaluate_push", body)

    def start_push(self, body: dict[str, Any] | PushBody) -> dict[str, Any]:
        """Start a push: upload modules and stage the schema; returns the start_push answer.
        `body` may be a `PushBody`: serialized once, with only the key and flags filled in."""
        if isinstance(body, PushBody):
            encoded = body.encode_brotli(self._key)
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
        raises ConvexError. Each poll is a call with its own deadline as well.
        """
        poll = poll_ms if poll_ms is not None else self._poll_ms()
        limit = conf().calls.schema_wait_seconds if deadline_seconds is None else deadline_seconds
        deadline = time.monotonic() + limit
        pause = POLL_PAUSE_FIRST
        request = {
            "adminKey": self._key,
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
                max_bytes=SMALL_ANSWER,
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
            encoded = start_response.finish_request(self._key, dry_run=dry_run)
            answer = self._call(
                "POST", "/api/deploy2/finish_push", operation="finish_push", encoded=encoded
            )
            if not isinstance(answer, dict):
                raise ConvexError(PROTOCOL_ERROR, "finish_push: answer is not an object")
            return answer
        request = {
            "adminKey": self._key,
            "startPush": start_response,
            "dryRun": dry_run,
            "message": None,
        }
        return self._push_call("/api/deploy2/finish_push", "finish_push", request)

    @sensitive_variables("body")
    def _push_call(self, path: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "adminKey": self._key}
        answer = self._call("POST", path, operation=operation, json_body=body)
        if not isinstance(answer, dict):
            raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer is not an object")
        return answer

    def _poll_ms(self) -> int:
        # Keep the long poll well inside the read timeout and the call's deadline, so a poll
        # is never a timeout.
        limit = min(self.budget.read, self.budget.call)
        return max(100, min(SCHEMA_POLL_MS, int(limit * 1000 / 2)))


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
            raise ConvexError(PROTOCOL_ERROR, "wait_for_schema: a component is unreadable")
        counts = [component.get("indexesComplete", 0), component.get("indexesTotal", 0)]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            raise ConvexError(
                PROTOCOL_ERROR,
                f"wait_for_schema: index counts of {str(name)[:40]!r} are not counts",
            )
        done = done and component.get("schemaValidationComplete") is True
        ready += values.count(counts[0], "wait_for_schema")
        total += values.count(counts[1], "wait_for_schema")
    return SchemaProgress(done, ready, total)
