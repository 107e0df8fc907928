"""An HTTP transport that connects only to the addresses the SSRF guard checked.

Checking a host name and then letting httpx resolve it again is a DNS-rebinding hole: a
resolver may answer a public address to the check and 127.0.0.1 to the connection. Here the
check and the use are one step: `guard_destination` resolves and vets the addresses, and the
transport's network backend connects to those addresses only, whatever name it is asked for.
TLS still runs against the host name (SNI and certificate checks), because httpcore passes the
URL's host as `server_hostname` separately from where the socket connects.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx
from django.views.decorators.debug import sensitive_variables
from httpx._transports.default import map_httpcore_exceptions


class PinnedBackend(httpcore.SyncBackend):
    """Resolves `host` to `addresses` (already vetted) and refuses any other host."""

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        if not addresses:
            raise ValueError("a pinned backend needs at least one address")
        self.host = host
        self.addresses = tuple(addresses)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host.strip("[]").lower() != self.host.strip("[]").lower():
            raise httpcore.ConnectError(f"refusing to connect to {host}: not the checked host")
        failure: Exception | None = None
        for address in self.addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure


class PinnedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose connections go to the vetted addresses of one host.

    `send` makes a request of `base_url` straight through it: the one thing the Convex client
    needs of an `httpx.Client` (which also merges URLs, keeps cookies, runs auth and redirect
    hooks per request: a third of a deploy's CPU went there).
    """

    def __init__(
        self,
        host: str,
        addresses: Sequence[str],
        ssl_context: ssl.SSLContext,
        *,
        base_url: str = "",
        user_agent: str = "",
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._base = httpx.URL(base_url or "http://invalid")
        self._base_path = self._base.raw_path.rstrip(b"/")
        # What an httpx.Client sends by default (with brotli installed), our user agent.
        self.headers = {
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate, br",
            "Connection": "keep-alive",
            "User-Agent": user_agent or "python-httpx",
        }
        # httpx builds its pool without a way to pass a network backend; build it here with
        # the same settings httpx uses. test_rebinding fails loudly if this stops working.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=10,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=PinnedBackend(host, addresses),
        )

    # The headers carry the deploy key, and a push body ends with it.
    @sensitive_variables("headers", "sent", "content")
    def send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """`method` `base_url + path`, answer read whole; never follows a redirect. Raises
        httpx's exceptions, as an `httpx.Client` would. Straight to the connection pool: an
        httpx.Request and the transport's streamed response cost a fifth of a deploy's CPU."""
        url = httpcore.URL(
            scheme=self._base.raw_scheme,
            host=self._base.raw_host,
            port=self._base.port,
            target=self._base_path + path.encode("ascii"),
        )
        sent = [*self.headers.items(), *headers.items()]
        with map_httpcore_exceptions():
            answer = self._pool.request(
                method,
                url,
                headers=sent,
                content=content,
                extensions={"timeout": timeout.as_dict()},
            )
        # Decodes a compressed answer (an unreadable one raises httpx.DecodingError).
        return httpx.Response(answer.status, headers=answer.headers, content=answer.content)
