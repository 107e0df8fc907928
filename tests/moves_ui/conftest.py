"""The moves' fixtures (emulated main and own deployments running our package)."""

from tests.moves.conftest import fresh_breaker, listener, pair

__all__ = ["fresh_breaker", "listener", "pair"]
