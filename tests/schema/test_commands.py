"""`manage.py byod_schema ...` as an operator uses it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from byod.package.schema import schema as package_schema
from byod.package.version import CURRENT_VERSION
from tests.schema.fixtures import seed_002


def run(*args: str) -> str:
    out = StringIO()
    call_command("byod_schema", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_canonical_export_as_json() -> None:
    assert json.loads(run("json")) == package_schema.export()


def test_it_prints_another_modules_export_with_module() -> None:
    assert json.loads(run("json", "--module", "tests.schema.fixtures.seed_002")) == (
        seed_002.schema.export()
    )


def test_it_shows_the_version_and_tables() -> None:
    out = run("show")
    assert f"BYOD schema package v{CURRENT_VERSION}" in out
    assert "messages: 19 fields, 5 indexes, 1 search, 1 vector" in out


def test_it_writes_the_convex_project(tmp_path: Path) -> None:
    run("ts", "--out", str(tmp_path / "proj"))
    for rel in ("package.json", "package-lock.json", "convex/schema.ts", "convex/meta.ts"):
        assert (tmp_path / "proj" / rel).is_file()


def test_it_writes_another_modules_project_without_a_version(tmp_path: Path) -> None:
    run("ts", "--out", str(tmp_path / "pkg"))
    run("ts", "--out", str(tmp_path / "seed"), "--module", "tests.schema.fixtures.seed_002")
    package_ts = (tmp_path / "pkg" / "convex" / "schema.ts").read_text()
    seed_ts = (tmp_path / "seed" / "convex" / "schema.ts").read_text()
    assert f"BYOD schema package v{CURRENT_VERSION}." in package_ts
    assert "BYOD schema package" not in seed_ts
    assert "dailyProReset: v.optional(v.number())" in seed_ts
    assert "dailyProReset" not in package_ts
    config = (tmp_path / "seed" / "convex" / "convex.config.ts").read_text()
    assert config.startswith("// BYOD config. Generated")


def test_it_refuses_to_write_over_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(CommandError, match="not a directory"):
        run("ts", "--out", str(tmp_path / "f"))


def test_it_lints_the_package_clean() -> None:
    assert "32 tables lint clean" in run("lint")


def test_it_lints_another_module_and_exits_1_on_findings() -> None:
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(
            "byod_schema", "lint", "--module", "tests.schema.fixtures.seed_001", stdout=out
        )
    assert exc.value.returncode == 1
    assert "index-field users.by_active (_creationTime)" in out.getvalue()


@pytest.mark.parametrize("action", [["lint"], ["json"], ["ts", "--out", "unused"]], ids=str)
def test_it_says_when_a_module_has_no_schema(action: list[str]) -> None:
    with pytest.raises(CommandError, match="cannot import"):
        run(*action, "--module", "tests.schema.nope")
    with pytest.raises(CommandError, match="defines 0 schemas"):
        run(*action, "--module", "byod.schema.lint")


def test_it_says_what_is_wrong_when_a_module_misuses_the_dsl() -> None:
    with pytest.raises(CommandError, match=r'index "by_user": fields must be a list .*"userId"'):
        run("lint", "--module", "tests.schema.fixtures.string_field_list")


def test_it_diffs_versions_with_classifications() -> None:
    out = run("diff", "--from", "0", "--to", str(CURRENT_VERSION), "--json")
    data = json.loads(out)
    assert data["counts"]["safe"] == len(package_schema.tables)
    assert "[safe] table messages added" in run("diff", "--from", "0")
    with pytest.raises(CommandError, match=r"not in versions\.lock\.json"):
        run("diff", "--from", "98", "--to", "99")


def test_it_checks_the_package() -> None:
    assert "lint clean, every version's changes covered, version locked" in run("check")
