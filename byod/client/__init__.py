"""The Convex client: the only code in the project that talks to a Convex deployment.

- `budget`: what a unit of work may spend (deadlines per call and per unit, answer sizes), by
  `Purpose`;
- `transport`: pinned, pooled, thread-safe connections per destination, bounded in time;
- `calls`: the one place a request is made and its answer read (caps, JSON limits, the key
  scrubbed, every failure classified, metrics recorded);
- `admin_api`, `function_api`: the endpoints; `classify`: failures to categories;
  `answers`, `values`: reading answers and checking what they hold; `push_body`: push
  requests serialized once; `metrics`: the calls' counters.

Services never make a client themselves: `byod.clients.client_for` does, for a purpose.
"""

from __future__ import annotations

from byod.client.admin_api import AdminApi, SchemaProgress
from byod.client.budget import Budget, Purpose
from byod.client.function_api import Result
from byod.client.push_body import PushBody


class ConvexClient(AdminApi):
    """A client of one Convex deployment for one unit of work, authenticated with its admin
    (deploy) key: the admin API and the function API.

    Methods return parsed JSON or raise `ConvexError`; an unsafe destination raises the guard's
    `InputError` before any connection is made. Use it as a context manager: the key is
    forgotten when the block ends (the pooled connections, which never hold it, stay open).
    """

    def __enter__(self) -> ConvexClient:
        return self


__all__ = ["Budget", "ConvexClient", "Purpose", "PushBody", "Result", "SchemaProgress"]
