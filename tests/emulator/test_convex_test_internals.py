"""The emulator relies on a few private parts of convex-test (README.md, "convex-test internals").

The installed, pinned convex-test must still have them; and the guard that checks them must be able
to fail, so the same check (and the emulator itself) runs against copies of convex-test with one
internal changed each, as an upgrade might change it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.emulator import EMULATOR_DIR

CHECK = "check_convex_test.mjs"
README = EMULATOR_DIR / "README.md"
PINNED = json.loads((EMULATOR_DIR / "package.json").read_text())["dependencies"]["convex-test"]


def run_node(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(root / script), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def installed_report() -> dict[str, Any]:
    result = run_node(EMULATOR_DIR, CHECK)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_the_pinned_convex_test_has_every_internal_the_emulator_uses():
    report = installed_report()
    assert report["problems"] == []
    assert report["version"] == report["checkedVersion"] == PINNED


def test_the_readme_names_each_internal_and_the_version_it_was_checked_for():
    report = installed_report()
    section = README.read_text().split("## convex-test internals", 1)[1].split("\n## ", 1)[0]
    assert f"convex-test {report['checkedVersion']}" in section
    for name in report["internals"]:
        assert f"`{name}`" in section, name


@pytest.fixture
def emulator_copy(tmp_path: Path) -> Path:
    """The emulator with its own copy of convex-test (free to break) and links to the rest."""
    root = tmp_path / "emulator"
    root.mkdir()
    for name in ("server.mjs", CHECK, "package.json"):
        shutil.copy2(EMULATOR_DIR / name, root / name)
    shutil.copytree(EMULATOR_DIR / "lib", root / "lib")
    (root / "node_modules").mkdir()
    for entry in (EMULATOR_DIR / "node_modules").iterdir():
        if entry.name == "convex-test":
            shutil.copytree(entry, root / "node_modules" / entry.name)
        else:
            (root / "node_modules" / entry.name).symlink_to(entry)
    return root


def edit(root: Path, relative: str, change: Callable[[str], str]) -> None:
    path = root / "node_modules" / "convex-test" / relative
    before = path.read_text()
    after = change(before)
    assert after != before, f"the edit did not apply to {relative}"
    path.write_text(after)


def rename(old: str, new: str) -> Callable[[str], str]:
    return lambda source: re.sub(rf"\b{re.escape(old)}\b", new, source)


def bump_version(manifest: str) -> str:
    return manifest.replace(f'"version": "{PINNED}"', '"version": "9.9.9"')


def inline_id_generation(source: str) -> str:
    # _generateId still exists, but insert() no longer asks it for ids.
    return source.replace(
        "const _id = this._generateId(table);",
        'const _id = String(this._nextDocId++).padStart(32 - table.length, "0") + table;',
    )


# (file in convex-test, change, what the guard must name)
CHANGES = {
    "version": ("package.json", bump_version, "convex-test 9.9.9 is installed"),
    "class renamed": ("dist/index.js", rename("DatabaseFake", "DocumentsFake"), "DatabaseFake"),
    "_generateId renamed": ("dist/index.js", rename("_generateId", "_newId"), "_generateId"),
    "_documents renamed": ("dist/index.js", rename("_documents", "_docs"), "_documents"),
    "_lastCreationTime renamed": (
        "dist/index.js",
        rename("_lastCreationTime", "_clock"),
        "_lastCreationTime",
    ),
    "constructor skips validateSchema": (
        "dist/index.js",
        lambda s: s.replace("        this.validateSchema();\n", "", 1),
        "no longer calls validateSchema()",
    ),
    "ids made without _generateId": ("dist/index.js", inline_id_generation, "_generateId()"),
    "_addWrite renamed": ("dist/index.js", rename("_addWrite", "_stage"), "_addWrite"),
    "_iterateDocs renamed": ("dist/index.js", rename("_iterateDocs", "_scan"), "_iterateDocs"),
    "queries read without _iterateDocs": (
        "dist/index.js",
        lambda s: s.replace(  # the first: a full table scan's
            "this._iterateDocs(tableName, (doc) => {",
            "Object.values(this._documents).forEach((doc) => {",
            1,
        ),
        "no longer take their documents from _iterateDocs()",
    ),
    "_writes renamed": ("dist/index.js", rename("_writes", "_staged"), "_writes"),
    "query source answered under another name": (
        "dist/index.js",
        rename("sortedDocs", "rows"),
        "no longer answers {sortedDocs, fieldPathsToSortBy}",
    ),
    "patch stores without _addWrite": (
        "dist/index.js",
        lambda s: s.replace(
            "this._addWrite(id, { _id, _creationTime, ...merged });",
            "this._writes[this._writes.length - 1][id] = { _id, _creationTime, ...merged };",
        ),
        "no longer hand their documents to _addWrite()",
    ),
}


def test_an_unchanged_copy_passes(emulator_copy: Path):
    result = run_node(emulator_copy, CHECK)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"] == []


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_check_names_what_changed(emulator_copy: Path, change: str):
    relative, apply, named = CHANGES[change]
    edit(emulator_copy, relative, apply)
    result = run_node(emulator_copy, CHECK)
    assert result.returncode == 1, result.stdout + result.stderr
    assert named in result.stderr
    assert f"checked against convex-test {PINNED}" in result.stderr
    assert json.loads(result.stdout)["problems"]


def test_the_emulator_refuses_to_start_on_changed_internals(emulator_copy: Path):
    edit(emulator_copy, "dist/index.js", rename("_generateId", "_newId"))
    result = run_node(emulator_copy, "server.mjs", "--port", "0")
    assert result.returncode == 1
    assert result.stdout == ""  # no startup line: nobody can mistake it for a running emulator
    assert "DatabaseFake.prototype._generateId() is gone" in result.stderr
