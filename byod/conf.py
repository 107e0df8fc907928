"""The settings the product reads, typed and checked once, when the process starts.

`byodsite/settings.py` reads the environment; this module holds every ``BYOD_*`` setting the
product (``byod/`` and ``accounts/``) reads, as frozen dataclasses grouped by concern, with
their types and rules. ``ByodConfig.ready`` calls `load`, so a bad value stops the process at
start with the variable's name and the rule (`ImproperlyConfigured`), not at first use.
Code reads ``conf().health.batch_size``; the value is built once and cached, and the cache is
dropped on Django's ``setting_changed`` (``override_settings``, pytest-django's ``settings``).

Adding a setting: read its variable in ``byodsite/settings.py``, add a field to a group below
(``name: type = setting("BYOD_NAME", rule, ...)``; a relation between two fields goes in the
group's ``__post_init__``), and a row to the README's table. Types ``float``, ``int``,
``bool``, ``str`` and ``tuple[str, ...]`` are checked by their annotation; others name a
``convert`` function.

A leaf: it imports Django and nothing of the project.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.signals import setting_changed
from django.core.validators import validate_email
from django.dispatch import receiver

Rule = Callable[[Any], str | None]  # what is wrong with a value, or None
# Convex's per-transaction write limit: one data-migration batch is one mutation.
CONVEX_WRITES_PER_TRANSACTION = 16_000
METRICS_TOKEN_MIN_LENGTH = 16


class Invalid(ValueError):
    """A value a converter cannot take; its text says what it must be."""


def setting(
    name: str,
    *rules: Rule,
    convert: Callable[[Any], Any] | None = None,
    secret: bool = False,
) -> Any:
    """A field read from the setting `name`, converted (by its annotation, or `convert`), then
    held to `rules`. A `secret` value is never repeated in an error nor shown in a repr."""
    meta = {"setting": name, "rules": rules, "convert": convert, "secret": secret}
    return field(repr=not secret, metadata=meta)


# --- rules -------------------------------------------------------------------------------------


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def at_least(low: float) -> Rule:
    return lambda value: None if value >= low else f"must be at least {low:g}"


def at_most(high: float) -> Rule:
    return lambda value: None if value <= high else f"must be at most {high:g}"


def divides(whole: int) -> Rule:
    divisors = [n for n in range(1, whole + 1) if whole % n == 0]
    said = ", ".join(str(n) for n in divisors[:-1]) + f" or {divisors[-1]}"
    return lambda value: None if value in divisors else f"must divide {whole} ({said})"


def web_address(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// address with a host"
    if parts.query or parts.fragment:
        return "must have no query or fragment"
    return None


def empty_or(rule: Rule) -> Rule:
    """`rule`, or nothing set (empty)."""
    return lambda value: None if not value else rule(value)


def email_addresses(value: tuple[str, ...]) -> str | None:
    for address in value:
        try:
            validate_email(address)
        except ValidationError:
            return f"must hold email addresses ({address!r} is not one)"
    return None


def empty_or_long(length: int) -> Rule:
    return lambda value: (
        None
        if not value or len(value) >= length
        else (f"must be empty (off) or at least {length} characters long")
    )


# --- converters --------------------------------------------------------------------------------


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid("must be a finite number")
    return float(raw)


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise Invalid("must be a whole number")
    return raw


def _boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise Invalid("must be true or false")
    return raw


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise Invalid("must be text")
    return raw


def _texts(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise Invalid("must be a list of text")
    return tuple(_text(item) for item in raw)


def _key_ring(raw: Any) -> tuple[tuple[str, bytes], ...]:
    ring = tuple((str(key_id), key) for key_id, key in raw) if isinstance(raw, list | tuple) else ()
    if not ring or any(not isinstance(key, bytes) or len(key) != 32 for _, key in ring):
        raise Invalid("must hold at least one key of 32 bytes")
    return ring


def _throttles(raw: Any) -> Mapping[str, tuple[int, int]]:
    """``{"scope:key": (at most N, per S seconds)}``, N >= 1 and S >= 1."""
    if not isinstance(raw, Mapping):
        raise Invalid("must map scope:key to (limit, seconds)")
    limits: dict[str, tuple[int, int]] = {}
    for name, pair in raw.items():
        limit, per = pair
        if _integer(limit) < 1 or _integer(per) < 1:
            raise Invalid(f"must allow at least 1 per at least 1 second ({name!r}: {pair!r})")
        limits[str(name)] = (limit, per)
    return MappingProxyType(limits)


_BY_TYPE: dict[Any, Callable[[Any], Any]] = {
    float: _number,
    int: _integer,
    bool: _boolean,
    str: _text,
    tuple[str, ...]: _texts,
}


def _require(holds: bool, message: str) -> None:
    if not holds:
        raise ImproperlyConfigured(message)


# --- the settings, by concern ------------------------------------------------------------------


@dataclass(frozen=True)
class CallLimits:
    """What one purpose's calls may spend (``byod.client.budget``): seconds to connect, the
    longest silence while reading, the deadline of one call, and of all the calls of one unit
    of work (None: none). Read from ``BYOD_<PURPOSE>_{CONNECT,READ,CALL,TOTAL}_SECONDS`` by a
    field with ``metadata={"limits": "<PURPOSE>"}``."""

    connect: float
    read: float
    call: float
    total: float | None


def _limits_of(purpose: str, source: Any) -> CallLimits:
    names = {part: f"BYOD_{purpose}_{part.upper()}_SECONDS" for part in CALL_LIMIT_PARTS}
    found: dict[str, float] = {}
    for part, name in names.items():
        if not hasattr(source, name):
            raise ImproperlyConfigured(f"Set {name} (byodsite/settings.py reads it).")
        raw = getattr(source, name)
        try:
            found[part] = _number(raw)
        except Invalid as problem:
            raise ImproperlyConfigured(f"{name} {problem}, not {raw!r}.") from None
        rule = at_least(0) if part == "total" else positive
        if (broken := rule(found[part])) is not None:
            raise ImproperlyConfigured(f"{name} {broken}, not {raw!r}.")
    total = found["total"] or None
    _require(
        total is None or total >= found["call"],
        f"{names['total']} must be 0 (none) or at least {names['call']} "
        f"({found['total']:g} < {found['call']:g}).",
    )
    return CallLimits(found["connect"], found["read"], found["call"], total)


CALL_LIMIT_PARTS = ("connect", "read", "call", "total")


@dataclass(frozen=True)
class Calls:
    """Every call to a Convex deployment (``byod.client``), by purpose (``Purpose``)."""

    check: CallLimits = field(metadata={"limits": "CHECK"})
    deploy: CallLimits = field(metadata={"limits": "DEPLOY"})
    health: CallLimits = field(metadata={"limits": "HEALTH"})
    count: CallLimits = field(metadata={"limits": "COUNT"})
    data_web: CallLimits = field(metadata={"limits": "DATA_WEB"})
    data_worker: CallLimits = field(metadata={"limits": "DATA_WORKER"})
    schema_wait_seconds: float = setting("BYOD_SCHEMA_WAIT_SECONDS", positive)
    destinations: int = setting("BYOD_CLIENT_DESTINATIONS", at_least(1))
    dns_pin_seconds: float = setting("BYOD_DNS_PIN_SECONDS", at_least(0))

    def limits(self, purpose: str) -> CallLimits:
        """The limits of `purpose` ("check", "deploy", ...)."""
        found: CallLimits = getattr(self, purpose)
        return found


@dataclass(frozen=True)
class Deploys:
    lease_seconds: float = setting("BYOD_DEPLOY_LEASE_SECONDS", at_least(0))  # 0: derived
    retry_base_seconds: float = setting("BYOD_DEPLOY_RETRY_BASE_SECONDS", at_least(0))
    retry_cap_seconds: float = setting("BYOD_DEPLOY_RETRY_CAP_SECONDS", positive)
    max_attempts: int = setting("BYOD_DEPLOY_MAX_ATTEMPTS", at_least(1))

    def __post_init__(self) -> None:
        _require(
            self.retry_cap_seconds >= self.retry_base_seconds,
            "BYOD_DEPLOY_RETRY_CAP_SECONDS must be at least BYOD_DEPLOY_RETRY_BASE_SECONDS "
            f"({self.retry_cap_seconds:g} < {self.retry_base_seconds:g}).",
        )


@dataclass(frozen=True)
class Rollouts:
    """Sizing a rollout before it starts (``byod.services.rollouts.sizing``)."""

    counts_max_age_seconds: float = setting("BYOD_ROLLOUT_COUNTS_MAX_AGE_SECONDS", positive)
    deploy_seconds: float = setting("BYOD_ROLLOUT_DEPLOY_SECONDS", positive)
    migration_batch_seconds: float = setting("BYOD_MIGRATION_BATCH_SECONDS", positive)


@dataclass(frozen=True)
class HealthChecks:
    sweep_minutes: int = setting("BYOD_HEALTH_SWEEP_MINUTES", divides(60))
    interval_seconds: float = setting("BYOD_HEALTH_INTERVAL_SECONDS", positive)
    retry_seconds: float = setting("BYOD_HEALTH_RETRY_SECONDS", positive)
    backoff_cap_seconds: float = setting("BYOD_HEALTH_BACKOFF_CAP_SECONDS", positive)
    failures_to_unhealthy: int = setting("BYOD_HEALTH_FAILURES_TO_UNHEALTHY", at_least(1))
    successes_to_healthy: int = setting("BYOD_HEALTH_SUCCESSES_TO_HEALTHY", at_least(1))
    concurrency: int = setting("BYOD_HEALTH_CONCURRENCY", at_least(1))
    batch_size: int = setting("BYOD_HEALTH_BATCH_SIZE", at_least(1))
    repair_drift: bool = setting("BYOD_HEALTH_REPAIR_DRIFT")

    def __post_init__(self) -> None:
        _require(
            self.backoff_cap_seconds >= self.retry_seconds,
            "BYOD_HEALTH_BACKOFF_CAP_SECONDS must be at least BYOD_HEALTH_RETRY_SECONDS "
            f"({self.backoff_cap_seconds:g} < {self.retry_seconds:g}).",
        )


@dataclass(frozen=True)
class Data:
    """The data plane (``byod.data``): the main deployment, and how requests count toward health."""

    main_deployment_url: str = setting("BYOD_MAIN_DEPLOYMENT_URL", empty_or(web_address))
    main_deployment_key_file: str = setting("BYOD_MAIN_DEPLOYMENT_KEY_FILE")
    health_gap_seconds: float = setting("BYOD_DATA_HEALTH_GAP_SECONDS", at_least(0))
    breaker_cooldown_seconds: float = setting("BYOD_DATA_BREAKER_COOLDOWN_SECONDS", positive)

    def __post_init__(self) -> None:
        _require(
            bool(self.main_deployment_url) == bool(self.main_deployment_key_file),
            "BYOD_MAIN_DEPLOYMENT_URL and BYOD_MAIN_DEPLOYMENT_KEY_FILE are set together "
            "(both empty: no main deployment).",
        )


@dataclass(frozen=True)
class Moves:
    """Moving users' content between deployments (``byod.services.moves``)."""

    # Off: no page offers moves and connecting starts none; the command and admin still work.
    enabled: bool = setting("BYOD_MOVES_ENABLED")
    keep_days: float = setting("BYOD_MOVE_KEEP_DAYS", at_least(0))
    batch_size: int = setting("BYOD_MOVE_BATCH_SIZE", at_least(1), at_most(1000))
    # After writes are refused, how long to wait before copying: a web request that resolved
    # its location before the freeze may still write until its data budget ends. -1: the data
    # plane's own budget (BYOD_DATA_WEB_TOTAL_SECONDS).
    settle_seconds: float = setting("BYOD_MOVE_SETTLE_SECONDS", at_least(-1))
    retry_seconds: float = setting("BYOD_MOVE_RETRY_SECONDS", positive)
    max_attempts: int = setting("BYOD_MOVE_MAX_ATTEMPTS", at_least(1))


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must name a directory"


@dataclass(frozen=True)
class Downloads:
    """ "Download my data" (``byod.services.downloads``)."""

    directory: str = setting("BYOD_DOWNLOADS_DIR", _not_empty, convert=str)
    keep_hours: float = setting("BYOD_DOWNLOAD_KEEP_HOURS", positive)


@dataclass(frozen=True)
class Conf:
    """Every BYOD_* setting the product reads."""

    calls: Calls
    deploys: Deploys
    health: HealthChecks
    rollouts: Rollouts
    data: Data
    moves: Moves
    downloads: Downloads
    encryption_keys: tuple[tuple[str, bytes], ...] = setting(
        "BYOD_ENCRYPTION_KEYS", convert=_key_ring, secret=True
    )
    allowed_hosts: tuple[str, ...] = setting("BYOD_ALLOWED_HOSTS")
    throttles: Mapping[str, tuple[int, int]] = setting("BYOD_THROTTLES", convert=_throttles)
    migration_batch_size: int = setting(
        "BYOD_MIGRATION_BATCH_SIZE", at_least(1), at_most(CONVEX_WRITES_PER_TRANSACTION)
    )
    # Empty: links in mails follow the address users reach the site at (byod.services.site).
    site_url: str = setting("BYOD_SITE_URL", empty_or(web_address))
    operator_emails: tuple[str, ...] = setting("BYOD_OPERATOR_EMAILS", email_addresses)
    metrics_token: str = setting(
        "BYOD_METRICS_TOKEN", empty_or_long(METRICS_TOKEN_MIN_LENGTH), secret=True
    )


# --- building and caching ----------------------------------------------------------------------


def build(source: Any = settings) -> Conf:
    """The settings of `source` (Django's by default), converted and checked; raises
    `ImproperlyConfigured` naming the setting and the rule it breaks."""
    return _build(Conf, source)


def _build[T](cls: type[T], source: Any) -> T:
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        meta = item.metadata
        if "limits" in meta:  # one purpose's call limits: four settings
            values[item.name] = _limits_of(meta["limits"], source)
            continue
        if "setting" not in meta:  # a group of settings
            group = hints[item.name]
            assert isinstance(group, type) and is_dataclass(group)
            values[item.name] = _build(group, source)
            continue
        name: str = meta["setting"]
        if not hasattr(source, name):
            raise ImproperlyConfigured(f"Set {name} (byodsite/settings.py reads it).")
        raw = getattr(source, name)
        shown = "" if meta["secret"] else f", not {raw!r}"
        try:
            value = (meta["convert"] or _BY_TYPE[hints[item.name]])(raw)
        except (Invalid, TypeError, ValueError) as problem:
            raise ImproperlyConfigured(f"{name} {_said(problem)}{shown}.") from None
        for rule in meta["rules"]:
            if (broken := rule(value)) is not None:
                raise ImproperlyConfigured(f"{name} {broken}{shown}.")
        values[item.name] = value
    return cls(**values)


def _said(problem: Exception) -> str:
    return str(problem) if isinstance(problem, Invalid) else "has the wrong shape"


@functools.cache
def conf() -> Conf:
    """The product's settings (built on first use after a change; `load` builds them at start)."""
    return build()


def load() -> Conf:
    """Build and check the settings now (at start: `ByodConfig.ready`)."""
    conf.cache_clear()
    return conf()


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    if str(kwargs["setting"]).startswith("BYOD_"):
        conf.cache_clear()
