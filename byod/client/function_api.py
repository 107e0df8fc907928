"""Running a deployment's functions: query, mutation, action, and several queries at once.

`POST /api/query|mutation|action {path, args, format}` answers HTTP 200 (or 560) with
`{"status": "success", "value"}` or `{"status": "error", "errorMessage", "errorData"?}`;
`POST /api/query_batch {"queries": [{path, args, format}, ...]}` answers `{"results": [...]}`,
one such envelope per query, all read at one snapshot: a function's error stays in its own
result, while a system error (a 429, a 503) fails the whole batch.

**Format.** Every call sends `format: "convex_encoded_json"`: without it the answer's shape
depends on the client's headers, and this one is lossless (int64 comes as `{"$integer":
base64}`, bytes as `{"$bytes": base64}`, NaN and infinities as `{"$float": base64}`; plain
numbers, strings, booleans, null, arrays and objects as in JSON). Values are returned in that
form: the data plane's codec turns them into Python values. Arguments are always read as
encoded JSON by Convex, whatever `format` says.

Values are checked on the way in (`byod.client.answers`): numbers are finite and within a
float64 or an int64, nesting is bounded, the size is the purpose's budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from byod.client import values
from byod.client.calls import Session
from byod.client.classify import ABSENT, classify
from byod.errors import PROTOCOL_ERROR, ConvexError

FORMAT = "convex_encoded_json"
# Convex's JS client reads HTTP 560 as a function's error, like a 200 with status "error".
FUNCTION_ERROR_STATUS = 560
MAX_BATCH = 64
# Answers known to be small get a small cap (the purpose's budget is the most any may be).
SMALL_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Result:
    """One query's outcome in a batch: its value, or the error it failed with."""

    value: Any = None
    error: ConvexError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class FunctionApi(Session):
    """The function API of one deployment (public and internal functions: the admin key may
    call both)."""

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run a query; returns its value (encoded JSON)."""
        return self._function("query", path, args)

    def mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run a mutation; returns its value. HTTP mutations are not deduplicated: a lost
        answer may hide a committed write, so every mutation we call is idempotent."""
        return self._function("mutation", path, args)

    def action(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """Run an action; returns its value."""
        return self._function("action", path, args)

    def query_batch(self, queries: Sequence[tuple[str, dict[str, Any] | None]]) -> list[Result]:
        """Run several queries at one snapshot in one round trip; one Result per query, in
        order. A query's own error is its Result's; a system error raises for the batch."""
        if not 0 < len(queries) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} queries, not {len(queries)}")
        body = {"queries": [{"path": p, "args": a or {}, "format": FORMAT} for p, a in queries]}
        answer = self._call("POST", "/api/query_batch", operation="query_batch", json_body=body)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(queries):
            raise ConvexError(PROTOCOL_ERROR, "query_batch: answer without one result per query")
        outcomes = []
        for (path, _), result in zip(queries, results, strict=True):
            try:
                outcomes.append(Result(value=self._value(f"query {path}", result)))
            except ConvexError as error:
                outcomes.append(Result(error=error))
        return outcomes

    def package_meta(self) -> dict[str, Any] | None:
        """Our package's version record on the deployment (`meta:get`), checked in shape:
        `{schemaVersion, packageHash, deployedAt}`, or None when nothing was recorded."""
        record = self._function("query", "meta:get", {}, max_bytes=SMALL_ANSWER)
        return values.version_record(record)

    def _function(
        self,
        kind: str,
        path: str,
        args: dict[str, Any] | None,
        *,
        label: str | None = None,
        max_bytes: int | None = None,
    ) -> Any:
        operation = f"{kind} {path}"
        answer = self._call(
            "POST",
            f"/api/{kind}",
            operation=operation,
            label=label or kind,
            json_body={"path": path, "args": args or {}, "format": FORMAT},
            accept=(FUNCTION_ERROR_STATUS,),
            max_bytes=max_bytes,
        )
        return self._value(operation, answer)

    def _value(self, operation: str, answer: Any) -> Any:
        """The value of a function's answer envelope, or its error raised."""
        if not isinstance(answer, dict):
            raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer is not an object")
        if answer.get("status") == "success":
            return answer.get("value")
        if answer.get("status") == "error":
            message = answer.get("errorMessage")
            raise classify(
                operation=operation,
                function_error=message if isinstance(message, str) else "(no message)",
                error_data=answer.get("errorData", ABSENT),
                redact=self._redact,
            )
        raise ConvexError(PROTOCOL_ERROR, f"{operation}: answer without a status")
