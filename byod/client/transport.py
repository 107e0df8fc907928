"""Where calls to a deployment go: pinned, pooled, thread-safe connections per destination.

- **Pinned.** Checking a host name and then letting a library resolve it again is a
  DNS-rebinding hole: a resolver may answer a public address to the check and 127.0.0.1 to the
  connection. Here the check and the use are one step: `guard_destination` resolves and vets
  the addresses, and the network backend connects to those addresses only, whatever name it is
  asked for. TLS still runs against the host name (SNI and certificate checks): httpcore passes
  the URL's host as `server_hostname` apart from where the socket connects.
- **Pooled.** One `Destination` per (scheme, host, port) holds an `httpcore.ConnectionPool`
  (httpcore's public API only) and the vetted addresses, reused for BYOD_DNS_PIN_SECONDS and
  then resolved and vetted again under a lock (one thread resolves, the others wait for it).
  The destinations of the process are a bounded cache (BYOD_CLIENT_DESTINATIONS, least
  recently used out): an evicted pool is closed once no call uses it. A destination never holds
  a deploy key: keys travel in each request only.
- **Bounded.** Every connect, TLS handshake, write and read is clamped to the time left of the
  current call (`deadline`), so a deployment that trickles one byte every few seconds fails at
  the call's deadline instead of resetting a per-read timeout forever.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from byod.conf import conf
from byod.guard import guard_destination
from byod.inputs import DeploymentUrl

# The deadline (time.monotonic()) of the call this thread is making, if any.
_DEADLINE: ContextVar[float | None] = ContextVar("byod_call_deadline", default=None)
# Writes go out in pieces, each clamped to the time left: a peer that stops reading is cut off.
WRITE_PIECE = 64 * 1024
# An idle connection is reused for this long: less than the 5 s after which Node servers (and
# many proxies) close idle connections, so a request never races the server's close of one.
KEEPALIVE_SECONDS = 4.0


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Clamp every network operation of this thread to end by `at` (monotonic seconds)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds left before the current call's deadline (None: no deadline)."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def _clamp(timeout: float | None, timed_out: type[httpcore.TimeoutException]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise timed_out("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), WRITE_PIECE):
            piece = buffer[start : start + WRITE_PIECE]
            self._stream.write(piece, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects to the destination's vetted addresses only, and refuses any other host."""

    def __init__(self, destination: Destination) -> None:
        self._destination = destination
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host.strip("[]").lower() != self._destination.host.strip("[]").lower():
            raise httpcore.ConnectError(f"refusing to connect to {host}: not the checked host")
        failure: Exception | None = None
        for address in self._destination.addresses():
            try:
                stream = self._sockets.connect_tcp(
                    address,
                    port,
                    _clamp(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return DeadlineStream(stream)
        self._destination.forget_addresses()  # none answered: resolve again next time
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("a deployment is never reached through a unix socket")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Destination:
    """One deployment's address (scheme, host, port): its vetted addresses and its pool."""

    def __init__(self, url: DeploymentUrl, ssl_context: ssl.SSLContext) -> None:
        self.url = url
        self.host = url.host
        self._lock = threading.Lock()
        self._addresses: tuple[str, ...] = ()
        self._fresh_until = 0.0
        self.users = 0  # calls using the pool now (the cache's lock guards it)
        self.evicted = False
        self.pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=10,
            max_keepalive_connections=10,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=PinnedBackend(self),
        )

    def __repr__(self) -> str:
        return f"Destination({self.url.url!r})"

    def addresses(self) -> tuple[str, ...]:
        """The addresses the SSRF guard vetted, resolved again once they are older than
        BYOD_DNS_PIN_SECONDS. Raises the guard's errors (InputError and its kinds)."""
        with self._lock:
            if not self._addresses or time.monotonic() >= self._fresh_until:
                self._addresses = guard_destination(self.url)
                self._fresh_until = time.monotonic() + conf().calls.dns_pin_seconds
            return self._addresses

    def forget_addresses(self) -> None:
        with self._lock:
            self._fresh_until = 0.0


@functools.cache
def _make_tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)


class Destinations:
    """The process's destinations: a bounded cache, least recently used out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str, int], Destination] = OrderedDict()

    @contextmanager
    def use(self, url: DeploymentUrl) -> Iterator[Destination]:
        """The destination of `url`, kept open while the block runs."""
        key = (url.scheme, url.host.lower(), url.port)
        with self._lock:
            found = self._items.get(key)
            if found is None:
                # Loading the CA bundle costs ~50 ms of CPU: once per process, under the lock.
                found = self._items[key] = Destination(url, _make_tls_context())
            self._items.move_to_end(key)
            found.users += 1
            idle = self._evict(conf().calls.destinations)
        for old in idle:
            old.pool.close()
        try:
            yield found
        finally:
            with self._lock:
                found.users -= 1
                close = found.evicted and found.users == 0
            if close:
                found.pool.close()

    def _evict(self, limit: int) -> list[Destination]:
        """Drop the least recently used beyond `limit`; returns those no call uses (to close
        now; the others close when their last call ends)."""
        idle = []
        while len(self._items) > max(1, limit):
            _, old = self._items.popitem(last=False)
            old.evicted = True
            if old.users == 0:
                idle.append(old)
        return idle

    def close_all(self) -> None:
        """Forget every destination (their addresses too); pools in use close after their call."""
        with self._lock:
            gone = list(self._items.values())
            self._items.clear()
            for old in gone:
                old.evicted = True
            idle = [old for old in gone if old.users == 0]
        for old in idle:
            old.pool.close()

    def __len__(self) -> int:
        return len(self._items)


DESTINATIONS = Destinations()
