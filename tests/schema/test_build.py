"""The generated project type-checks, the committed artifact is current and loads without Node."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from byod import builds
from byod.package.schema import schema as package_schema
from byod.package.version import CURRENT_VERSION
from byod.schema import define_table, v
from byod.schema.owners import is_owned
from byod.schema.typescript import PROJECT_DIR, write_project


def test_it_generates_a_project_that_type_checks_against_real_convex(tmp_path: Path) -> None:
    write_project(tmp_path, package_schema, CURRENT_VERSION)
    (tmp_path / "node_modules").symlink_to(PROJECT_DIR / "node_modules")
    tsc = PROJECT_DIR / "node_modules" / "typescript" / "bin" / "tsc"
    proc = subprocess.run(
        ["node", str(tsc), "--noEmit", "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    schema_ts = (tmp_path / "convex" / "schema.ts").read_text()
    assert schema_ts.startswith(f"// BYOD schema package v{CURRENT_VERSION}.\n// Generated")
    assert "defineApp()" in (tmp_path / "convex" / "convex.config.ts").read_text()


def test_it_pins_convex_as_a_dependency() -> None:
    package = json.loads((PROJECT_DIR / "package.json").read_text())
    lock = json.loads((PROJECT_DIR / "package-lock.json").read_text())
    assert package["dependencies"] == {"convex": "1.48.0"}
    assert lock["packages"]["node_modules/convex"]["version"] == "1.48.0"


def test_it_loads_the_committed_artifact_without_an_admin_key() -> None:
    body = builds.load_artifact(CURRENT_VERSION)
    assert "adminKey" not in body
    assert body["functions"] == "convex/"
    app = body["appDefinition"]
    assert app["schema"]["path"] == "schema.js"
    paths = [m["path"] for m in app["changedModules"]]
    ours = {"meta.js", "migrations.js", "migrationCustom.js", "migrationRegistry.js"}
    ours |= {"dataLib.js", "dataReads.js", "dataWrites.js", "dataMoves.js", "moves.js"}
    ours |= {f"data/{name}.js" for name, t in package_schema.tables.items() if is_owned(t)}
    assert ours <= set(paths)
    # Anything else is a chunk the bundler shares between modules.
    assert all(p in ours or p.startswith("_deps/") for p in paths), paths
    assert body["componentDefinitions"] == [] and body["dryRun"] is False
    raw = (builds.version_dir(CURRENT_VERSION) / "push_request.json").read_bytes()
    assert builds.package_hash(CURRENT_VERSION) == hashlib.sha256(raw).hexdigest()
    assert builds.available_versions() == list(range(1, CURRENT_VERSION + 1))


def test_it_refuses_an_artifact_that_does_not_match_its_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(builds.version_dir(CURRENT_VERSION), tmp_path / f"v{CURRENT_VERSION}")
    (tmp_path / f"v{CURRENT_VERSION}" / "push_request.json").write_text("{}")
    monkeypatch.setattr(builds, "BUILDS_DIR", tmp_path)
    builds.manifest.cache_clear()
    builds._raw.cache_clear()
    try:
        with pytest.raises(builds.ArtifactError, match="does not match"):
            builds.load_artifact(CURRENT_VERSION)
        with pytest.raises(builds.ArtifactError, match="no build for version 99"):
            builds.package_hash(99)
    finally:
        builds.manifest.cache_clear()
        builds._raw.cache_clear()


def test_it_finds_the_committed_artifact_current() -> None:
    call_command("byod_build", "--check")


def test_it_finds_the_artifact_stale_when_the_schema_changes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from byod.management.commands import byod_build
    from byod.schema import Schema

    changed = Schema(dict(package_schema.tables), True)
    changed.tables["extra"] = (
        define_table({"name": v.string(), "userId": v.string()})
        .index("by_user", ["userId"])
        .owned_by("userId")
    )
    monkeypatch.setattr(byod_build, "schema", changed)
    with pytest.raises(CommandError, match="problem"):
        call_command("byod_build", "--check")
    err = capsys.readouterr().err
    assert "Bump CURRENT_VERSION" in err
    assert "push_request.json is stale" in err
    assert "schema.ts is stale" in err
    assert "data/extra.ts is stale" in err


def test_the_committed_artifact_does_not_depend_on_where_the_checkout_lives() -> None:
    """Bundles and source maps may only name paths inside the built project.

    A path escaping it (esbuild resolving a symlinked node_modules) made `byod_build --check`
    fail on every clone that was not in the directory the artifact was built in.
    """
    body = json.loads(
        (Path(__file__).resolve().parents[2] / "byod/builds/v1/push_request.json").read_text()
    )
    app = body["appDefinition"]
    modules = [*app["changedModules"], app["schema"], app["definition"]]
    for module in modules:
        source_map = module.get("sourceMap")
        if not source_map:
            continue
        for source in json.loads(source_map)["sources"]:
            assert not source.startswith("../.."), (module.get("path"), source)
