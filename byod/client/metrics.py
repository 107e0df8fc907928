"""Counters of the calls to Convex deployments, recorded at the one place every call goes
through (`byod.client.calls`), for Prometheus.

Labels are bounded: `operation` is one of our names for the endpoint or function kind
("check_admin_key", "query", "start_push", "tableSize"...; never a URL, a path or anything a
deployment chose), `purpose` one of `byod.client.budget.Purpose` (or "other" for a client made
without one), `category` "ok" or the error category of the failure.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CALLS = Counter(
    "byod_convex_calls",
    "Calls to users' Convex deployments, by operation, purpose and outcome.",
    ["operation", "purpose", "category"],
)
SECONDS = Histogram(
    "byod_convex_call_seconds",
    "How long calls to users' Convex deployments took, by operation, purpose and outcome.",
    ["operation", "purpose", "category"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
OK = "ok"


def record(operation: str, purpose: str, category: str, seconds: float) -> None:
    """Count one call and its time."""
    CALLS.labels(operation, purpose, category).inc()
    SECONDS.labels(operation, purpose, category).observe(seconds)
