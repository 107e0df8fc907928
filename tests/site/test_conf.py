"""The product's settings (`byod.conf`): typed, checked at start, following overrides."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from byod.conf import build, conf
from tests.site.test_settings_env import production_env, run_manage


def refused(settings: Any, **values: Any) -> str:
    """The message of the ImproperlyConfigured that building the settings raises with `values`."""
    for name, value in values.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured) as refusal:
        build()
    return str(refusal.value)


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("BYOD_DEPLOY_READ_SECONDS", 0.0, "must be greater than 0"),  # timeouts
        ("BYOD_HEALTH_CALL_SECONDS", -1.0, "must be greater than 0"),
        ("BYOD_CHECK_TOTAL_SECONDS", -1.0, "must be at least 0"),
        ("BYOD_DNS_PIN_SECONDS", -1.0, "must be at least 0"),
        ("BYOD_CLIENT_DESTINATIONS", 0, "must be at least 1"),
        ("BYOD_HEALTH_FAILURES_TO_UNHEALTHY", 0, "must be at least 1"),  # counts
        ("BYOD_DEPLOY_MAX_ATTEMPTS", 0, "must be at least 1"),
        ("BYOD_HEALTH_CONCURRENCY", 0, "must be at least 1"),
        ("BYOD_DEPLOY_LEASE_SECONDS", -5.0, "must be at least 0"),
        ("BYOD_MIGRATION_BATCH_SIZE", 16_001, "must be at most 16000"),  # Convex's writes
        ("BYOD_HEALTH_SWEEP_MINUTES", 7, "must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30"),
        ("BYOD_HEALTH_SWEEP_MINUTES", 0, "must divide 60"),
        ("BYOD_SITE_URL", "byod.example.com", "must be an http:// or https:// address"),
        ("BYOD_SITE_URL", "ftp://byod.example.com", "must be an http:// or https:// address"),
        ("BYOD_SITE_URL", "https://byod.example.com/?next=1", "must have no query"),
        ("BYOD_OPERATOR_EMAILS", ["ops@example.com", "ops"], "must hold email addresses"),
        ("BYOD_HEALTH_CONCURRENCY", "4", "must be a whole number"),  # types
        ("BYOD_DEPLOY_CONNECT_SECONDS", math.nan, "must be a finite number"),
        ("BYOD_HEALTH_REPAIR_DRIFT", "yes", "must be true or false"),
        ("BYOD_ALLOWED_HOSTS", "convex.internal", "must be a list of text"),
        ("BYOD_THROTTLES", {"login:address": (0, 900)}, "must allow at least 1 per"),
    ],
)
def test_it_refuses_a_value_against_its_rule(settings, name: str, value: Any, rule: str) -> None:
    message = refused(settings, **{name: value})
    assert message.startswith(f"{name} {rule}")
    assert f"not {value!r}" in message  # says what it got


@pytest.mark.parametrize(
    ("base", "cap"),
    [
        ("BYOD_DEPLOY_RETRY_BASE_SECONDS", "BYOD_DEPLOY_RETRY_CAP_SECONDS"),
        ("BYOD_HEALTH_RETRY_SECONDS", "BYOD_HEALTH_BACKOFF_CAP_SECONDS"),
    ],
)
def test_it_refuses_a_retry_cap_below_its_base(settings, base: str, cap: str) -> None:
    message = refused(settings, **{base: 100.0, cap: 50.0})
    assert message == f"{cap} must be at least {base} (50 < 100)."
    settings.BYOD_HEALTH_RETRY_SECONDS = settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 50.0
    assert build()  # equal is fine


def test_it_refuses_a_unit_of_work_shorter_than_one_of_its_calls(settings) -> None:
    message = refused(settings, BYOD_CHECK_CALL_SECONDS=30.0, BYOD_CHECK_TOTAL_SECONDS=20.0)
    assert message == (
        "BYOD_CHECK_TOTAL_SECONDS must be 0 (none) or at least BYOD_CHECK_CALL_SECONDS (20 < 30)."
    )
    settings.BYOD_CHECK_TOTAL_SECONDS = 0.0
    assert build().calls.check.total is None  # 0: no deadline over the calls


def test_it_never_repeats_a_secret(settings) -> None:
    message = refused(settings, BYOD_METRICS_TOKEN="short-secret")
    assert message == ("BYOD_METRICS_TOKEN must be empty (off) or at least 16 characters long.")
    message = refused(settings, BYOD_ENCRYPTION_KEYS=[("k1", b"too short secret")])
    assert "too short secret" not in message
    assert message == "BYOD_ENCRYPTION_KEYS must hold at least one key of 32 bytes."


def test_it_shows_no_secret_in_its_repr(settings) -> None:
    settings.BYOD_METRICS_TOKEN = "a-scrape-token-of-some-length"
    shown = repr(conf())
    assert "a-scrape-token" not in shown and "encryption_keys" not in shown
    assert "batch_size=250" in shown


def test_it_accepts_the_defaults_and_reads_them_typed() -> None:
    built = build()
    assert built.health.sweep_minutes == 1 and built.health.batch_size == 250
    assert built.calls.deploy.read == 30.0 and isinstance(built.calls.deploy.read, float)
    assert built.calls.check.total == 20.0 and built.calls.deploy.total is None
    assert built.deploys.max_attempts == 5
    assert built.throttles["login:username"] == (10, 900)
    assert built.metrics_token == ""


def test_it_follows_overridden_settings() -> None:
    assert conf().health.batch_size == 250
    with override_settings(BYOD_HEALTH_BATCH_SIZE=7, BYOD_DEPLOY_READ_SECONDS=2):
        assert conf().health.batch_size == 7
        assert conf().calls.deploy.read == 2.0
    assert conf().health.batch_size == 250


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("BYOD_HEALTH_SWEEP_MINUTES", "7", "BYOD_HEALTH_SWEEP_MINUTES must divide 60"),
        ("BYOD_MIGRATION_BATCH_SIZE", "0", "BYOD_MIGRATION_BATCH_SIZE must be at least 1"),
        ("BYOD_SITE_URL", "byod.example.com", "BYOD_SITE_URL must be an http:// or https://"),
        ("BYOD_ALLOWED_HOSTS", "http://convex.internal:99999", "BYOD_ALLOWED_HOSTS entry"),
    ],
)
def test_a_bad_variable_stops_the_process_at_start(variable: str, value: str, said: str) -> None:
    # `check` touches no deploy, no health check, no key: only starting reads the settings.
    result = run_manage("check", environ=production_env(**{variable: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert said in result.stderr
