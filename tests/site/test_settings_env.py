"""The settings helpers fail loudly, and production settings pass `check --deploy`."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from byodsite import env

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(b"k" * 32).decode()


def production_env(**overrides: str) -> dict[str, str]:
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
        "BYOD_ENCRYPTION_KEYS": f"prod1:{KEY}",
        "DJANGO_ALLOWED_HOSTS": "byod.example.com",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "check-deploy.sqlite3"),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v != ""}


def run_manage(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "byodsite.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_variables() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", environ=production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_when_debug_is_on_in_production() -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environ=production_env(DJANGO_DEBUG="1")
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG must be False in deployment


def test_check_deploy_flags_the_console_email_backend() -> None:
    result = run_manage("check", "--deploy", environ=production_env(EMAIL_BACKEND=""))
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "BYOD_ENCRYPTION_KEYS"])
def test_it_refuses_to_start_without_a_secret(missing: str) -> None:
    result = run_manage("check", environ=production_env(**{missing: ""}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set {missing} (or {missing}_FILE)" in result.stderr


def test_it_reads_a_secret_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env.env_secret("SOME_SECRET") == "from-a-file"


def test_it_names_an_unreadable_secret_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SECRET_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE points at"):
        env.env_secret("SOME_SECRET")


def test_require_secret_without_value_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.delenv("SOME_SECRET_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set SOME_SECRET"):
        env.require_secret("SOME_SECRET", why="")


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False)]
)
def test_env_bool_reads_the_usual_spellings(
    raw: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG") is expected


def test_env_bool_refuses_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        env.env_bool("FLAG")


def test_env_int_refuses_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env.env_int("N", 1)


def test_env_list_splits_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example.com, b.example.com ,,")
    assert env.env_list("HOSTS") == ["a.example.com", "b.example.com"]


def test_the_key_ring_keeps_order_and_ids() -> None:
    other = base64.b64encode(b"o" * 32).decode()
    ring = env.parse_encryption_keys(f"new:{other}, old:{KEY}")
    assert [kid for kid, _ in ring] == ["new", "old"]
    assert ring[1][1] == b"k" * 32


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "holds no key"),
        ("nokeyid", "must look like 'keyid:base64key'"),
        ("a:not base64!", "not valid base64"),
        (f"a:{base64.b64encode(b'short').decode()}", "must decode to 32 bytes"),
        (f"a:{KEY},a:{KEY}", "key id 'a' twice"),
    ],
)
def test_a_bad_key_ring_is_refused_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        env.parse_encryption_keys(raw)


def test_a_refused_key_ring_never_echoes_the_key() -> None:
    secret = base64.b64encode(b"s" * 31).decode()
    with pytest.raises(ImproperlyConfigured) as info:
        env.parse_encryption_keys(f"a:{secret}")
    assert secret not in str(info.value)


def test_keygen_prints_a_valid_entry() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "byodsite.keygen", "k9"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    [(kid, key)] = env.parse_encryption_keys(out)
    assert kid == "k9" and len(key) == 32
