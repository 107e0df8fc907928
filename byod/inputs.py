"""What users type: deployment URLs and deploy keys, and where the server may connect.

- ``parse_url`` accepts ``https://<name>.convex.cloud`` / ``https://<name>.<region>.convex.cloud``
  (port 443) or a host on the operator's allow-list (``BYOD_ALLOWED_HOSTS``); nothing else.
- ``parse_deploy_key`` accepts ``prod:|dev:|preview:<name>|<token>`` (cloud; the name must match
  the URL) or the self-hosted ``<instance-name>|<hex>``.
- Where the server may connect (the SSRF guard) is ``byod.guard``.

Every refusal is an ``InputError(field, message)`` (a kind of ``byod.errors.ByodError``);
messages say what is wrong and how to fix it, and never repeat a deploy key.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from byod.conf import conf
from byod.errors import InputError

MAX_URL_LENGTH = 255
MAX_KEY_LENGTH = 4096
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_CLOUD_HOST_RE = re.compile(rf"^(?P<name>{_LABEL})(?:\.(?P<region>{_LABEL}))?\.convex\.cloud$")
_HOSTNAME_RE = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}$")
_CLOUD_KEY_RE = re.compile(r"^(?P<kind>prod|dev|preview):(?P<name>[^|]*)\|(?P<token>.*)$", re.S)
_CLOUD_NAME_RE = re.compile(rf"^{_LABEL}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9+/=_.-]{16,}$")
_SELF_HOSTED_KEY_RE = re.compile(r"^(?P<name>[A-Za-z0-9_-]{1,64})\|(?P<token>[0-9a-fA-F]{16,})$")
_DEFAULT_PORTS = {"https": 443, "http": 80}

KeyKind = Literal["prod", "dev", "preview", "self_hosted"]


@dataclass(frozen=True)
class DeploymentUrl:
    """A parsed, normalized deployment URL (scheme://host[:port], no trailing slash)."""

    url: str
    host: str
    port: int
    deployment_name: str | None
    self_hosted: bool

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class DeployKey:
    """A parsed deploy/admin key. ``value`` is the whole key; it never shows in repr/str."""

    kind: KeyKind
    deployment_name: str
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return f"DeployKey(kind={self.kind!r}, deployment_name={self.deployment_name!r})"

    __str__ = __repr__


# --- allow-list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowedHost:
    host: str
    port: int | None  # None: any port ("*"); otherwise exact
    allow_http: bool
    default_port: bool  # no port given: the URL scheme's default port

    def matches(self, scheme: str, host: str, port: int) -> bool:
        if host != self.host:
            return False
        if scheme == "http" and not self.allow_http:
            return False
        if self.default_port:
            return port == _DEFAULT_PORTS[scheme]
        return self.port is None or self.port == port


def allowed_hosts() -> list[AllowedHost]:
    """The operator's allow-list, parsed from ``BYOD_ALLOWED_HOSTS``."""
    return [_parse_allowed(entry) for entry in conf().allowed_hosts]


def _parse_allowed(entry: str) -> AllowedHost:
    raw = entry.strip()
    allow_http = False
    lowered = raw.lower()
    if lowered.startswith("http://"):
        allow_http, raw = True, raw[len("http://") :]
    elif lowered.startswith("https://"):
        raw = raw[len("https://") :]
    raw = raw.rstrip("/")
    host, port_text = raw, ""
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise _bad_entry(entry)
        host, rest = raw[1:end], raw[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise _bad_entry(entry)
            port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    elif ":" in raw:
        raise _bad_entry(entry)
    host = host.lower()
    if not host or not (_HOSTNAME_RE.match(host) or _is_ip_literal(host)):
        raise _bad_entry(entry)
    if port_text == "":
        return AllowedHost(host, None, allow_http, default_port=True)
    if port_text == "*":
        return AllowedHost(host, None, allow_http, default_port=False)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _bad_entry(entry)
    return AllowedHost(host, int(port_text), allow_http, default_port=False)


def _bad_entry(entry: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"BYOD_ALLOWED_HOSTS entry {entry!r} must look like host, host:port, host:* "
        "or http://host:port (IPv6 in brackets)."
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_allow_listed(scheme: str, host: str, port: int) -> bool:
    return any(entry.matches(scheme, host, port) for entry in allowed_hosts())


# --- URL -------------------------------------------------------------------------------------

_URL_HELP = (
    "Copy the deployment URL from your Convex dashboard (Settings → URL & Deploy Key); "
    "it looks like https://happy-otter-123.convex.cloud."
)


def parse_url(raw: str) -> DeploymentUrl:
    """Parse and normalize a deployment URL, or raise InputError(field="url")."""
    text = (raw or "").strip()
    if not text:
        raise InputError("url", f"Enter your deployment URL. {_URL_HELP}")
    if len(text) > MAX_URL_LENGTH:
        raise InputError("url", f"That URL is too long to be a deployment URL. {_URL_HELP}")
    if not text.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(
            "url",
            "The URL contains spaces, control or non-ASCII characters. "
            f"Paste it again without them. {_URL_HELP}",
        )
    if "://" not in text:
        raise InputError(
            "url", "The URL must start with https:// (e.g. https://<name>.convex.cloud)."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError("url", f"The URL's host or port is malformed. {_URL_HELP}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InputError("url", f"The URL must start with https://, not {scheme}://.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise InputError(
            "url",
            "The URL must not contain a user name or password (the part before '@'). "
            "Remove it: the deploy key goes in its own field.",
        )
    if parts.path not in ("", "/"):
        raise InputError(
            "url",
            f"Remove the path {parts.path!r}: the deployment URL is only "
            "https://<host>, without anything after the host.",
        )
    if parts.query or "?" in text:
        raise InputError("url", "Remove the query ('?…') from the URL; use only https://<host>.")
    if parts.fragment or "#" in text:
        raise InputError("url", "Remove the fragment ('#…') from the URL; use only https://<host>.")
    host = (parts.hostname or "").lower()
    if not host:
        raise InputError("url", f"The URL has no host. {_URL_HELP}")
    if host.endswith("."):
        raise InputError("url", f"Remove the trailing dot after {host.rstrip('.')!r}.")
    effective_port = port if port is not None else _DEFAULT_PORTS[scheme]

    cloud = _CLOUD_HOST_RE.match(host)
    if cloud and scheme == "https" and effective_port == 443:
        return DeploymentUrl(
            url=f"https://{host}",
            host=host,
            port=443,
            deployment_name=cloud.group("name"),
            self_hosted=False,
        )
    if _is_allow_listed(scheme, host, effective_port):
        return DeploymentUrl(
            url=_format_url(scheme, host, effective_port),
            host=host,
            port=effective_port,
            deployment_name=None,
            self_hosted=True,
        )
    if cloud and scheme != "https":
        raise InputError(
            "url", f"Convex cloud deployments are served over https. Use https://{host}."
        )
    if cloud:
        raise InputError(
            "url",
            f"Convex cloud deployments use the standard https port. Remove ':{effective_port}' "
            f"and use https://{host}.",
        )
    if host.endswith(".convex.site"):
        raise InputError(
            "url",
            "That is your deployment's HTTP actions URL (.convex.site). Use the deployment URL, "
            f"which ends in .convex.cloud: https://{host.removesuffix('.convex.site')}.convex.cloud.",
        )
    if scheme == "http":
        raise InputError(
            "url",
            "Plain http:// is refused: use https://. (For a self-hosted deployment served over "
            "http, ask this site's operator to allow its address.)",
        )
    raise InputError(
        "url",
        f"{display_host(host)}{_port_suffix(port)} is not a Convex cloud deployment "
        "(https://<name>.convex.cloud) and is not on this site's list of allowed "
        "self-hosted deployments. Use your cloud deployment URL, or ask this site's operator "
        "to allow your host.",
    )


def display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port_suffix(port: int | None) -> str:
    return f":{port}" if port is not None else ""


def _format_url(scheme: str, host: str, port: int) -> str:
    suffix = "" if port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{display_host(host)}{suffix}"


# --- deploy key ------------------------------------------------------------------------------

_KEY_HELP = (
    "In the Convex dashboard open Settings → URL & Deploy Key and generate a production "
    "deploy key; it looks like prod:<deployment-name>|<token>."
)


@sensitive_variables()  # every local is the key or a piece of it
def parse_deploy_key(raw: str, url: DeploymentUrl) -> DeployKey:
    """Parse a deploy key for the deployment at ``url``, or raise InputError("deploy_key")."""
    text = (raw or "").strip()
    if not text:
        raise InputError("deploy_key", f"Enter a deploy key. {_KEY_HELP}")
    if len(text) > MAX_KEY_LENGTH:
        raise InputError("deploy_key", f"That is too long to be a deploy key. {_KEY_HELP}")
    if not text.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(
            "deploy_key",
            "The deploy key contains spaces, line breaks or non-ASCII characters. Copy it "
            "again with the dashboard's copy button and paste it as one line.",
        )
    cloud = _CLOUD_KEY_RE.match(text)
    if cloud:
        kind, name, token = cloud.group("kind"), cloud.group("name"), cloud.group("token")
        if not _CLOUD_NAME_RE.match(name) or not _TOKEN_RE.match(token):
            raise InputError(
                "deploy_key",
                f"This {kind} deploy key is malformed (expected {kind}:<deployment-name>|<token>). "
                f"Copy it again from the dashboard. {_KEY_HELP}",
            )
        if url.self_hosted:
            raise InputError(
                "deploy_key",
                "This is a Convex cloud deploy key, but the URL is a self-hosted deployment. "
                "Use the self-hosted admin key (<instance-name>|<hex>), or enter your cloud "
                "deployment's URL.",
            )
        if name != url.deployment_name:
            raise InputError(
                "deploy_key",
                f"This deploy key belongs to deployment {name!r}, but the URL is for "
                f"{url.deployment_name!r}. Use the key of the same deployment as the URL.",
            )
        return DeployKey(kind=kind, deployment_name=name, value=text)  # type: ignore[arg-type]
    self_hosted = _SELF_HOSTED_KEY_RE.match(text)
    if self_hosted:
        if not url.self_hosted:
            raise InputError(
                "deploy_key",
                "This looks like a self-hosted admin key, but the URL is a Convex cloud "
                f"deployment. {_KEY_HELP}",
            )
        return DeployKey(kind="self_hosted", deployment_name=self_hosted.group("name"), value=text)
    if url.self_hosted:
        raise InputError(
            "deploy_key",
            "That is not a valid admin key. A self-hosted admin key looks like "
            "<instance-name>|<hex> (at least 16 hex digits). Your self-hosted backend prints one "
            "when you generate an admin key for it.",
        )
    raise InputError(
        "deploy_key",
        f"That is not a Convex deploy key (expected prod:, dev: or preview: followed by "
        f"<deployment-name>|<token>). {_KEY_HELP}",
    )
