"""Fixtures of the moves' tests: those of the data plane's tests (servers that count callers,
a fresh breaker)."""

from __future__ import annotations

from tests.data.conftest import fresh_breaker, listener

__all__ = ["fresh_breaker", "listener"]
