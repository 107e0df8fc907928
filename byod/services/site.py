"""The address people reach this site at, for the links in mails the worker sends.

The worker has no request to ask, so the address is chosen in this order:
1. ``BYOD_SITE_URL``, when the operator set it (the only choice for the operators' digest
   besides the development address);
2. for a mail to a user, the address that user last reached the site at: recorded (`remember`)
   from their requests on the settings page, the requests that cause the deploys and checks
   the mails tell about;
3. with DEBUG on, the development address `scripts/run` serves at by default;
4. else no link at all: the mail tells the user to open the site's Database page.
A loopback address (127.0.0.1, ::1, localhost) is never linked from production (DEBUG off),
whatever the source: a mail would send people to their own machine.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from byod.conf import conf
from byod.models import Connection

log = logging.getLogger(__name__)

DEVELOPMENT_ADDRESS = "http://127.0.0.1:8000"  # scripts/run's default address


def origin_of(request: HttpRequest) -> str:
    """``scheme://host[:port]`` of `request` (the host is checked against ALLOWED_HOSTS by
    Django; the scheme follows the TLS proxy setting)."""
    return f"{request.scheme}://{request.get_host()}"


def remember(connection: Connection, request: HttpRequest) -> None:
    """Record the address the connection's user reached the site at (one UPDATE, only when it
    changed)."""
    origin = origin_of(request)
    if connection.site_url != origin:
        Connection.objects.filter(pk=connection.pk).update(site_url=origin)
        connection.site_url = origin


def base_url(connection: Connection | None) -> str:
    """What the links of a mail about `connection` (None: to operators) start with, without a
    trailing slash; "" for a mail without links."""
    candidates = [
        ("BYOD_SITE_URL", conf().site_url),
        ("the user's last visit", connection.site_url if connection is not None else ""),
        ("the development address", DEVELOPMENT_ADDRESS if settings.DEBUG else ""),
    ]
    for source, address in candidates:
        if not address:
            continue
        if settings.DEBUG or not _is_loopback(address):
            return address.rstrip("/")
        log.warning("mail links: %s is a loopback address (%s); not linked", source, address)
    return ""


def _is_loopback(address: str) -> bool:
    host = (urlsplit(address).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
