"""The Convex client: the only code that talks to users' Convex deployments."""

from __future__ import annotations

from byod.client.http import ConvexClient, SchemaProgress
from byod.client.push_body import PushBody

__all__ = ["ConvexClient", "PushBody", "SchemaProgress"]
