"""The README's "Changing the schema and shipping a version", tried as written: in a copy of the
repository, a required field is added to a table with its rewrite, the version bumped with its
notes in two voices, and the README's commands run in order by a shell (npm ci in the Convex
project included); the new version builds, checks clean and is committed. Nothing is skipped:
the build runs the real Convex CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from byod.package import version as package_version
from byodsite.env import new_encryption_key_entry
from tests.fixtures.readme import copy_tracked_files, shell_block

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
NEW = package_version.CURRENT_VERSION + 1

pytestmark = [pytest.mark.slow]


def section() -> str:
    start = README.index("## Changing the schema and shipping a version")
    return README[start : README.index("\n## ", start + 1)]


def readme_commands() -> str:
    """The section's shell block, as a script (the README indents it inside its list)."""
    return shell_block(section())


def copy_of_the_repository(into: Path) -> Path:
    repo = copy_tracked_files(into)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the repository as it was")
    # What scripts/run writes once (.local.env): the secrets the commands' settings need.
    (repo / ".local.env").write_text(
        f"DJANGO_SECRET_KEY=readme-{os.urandom(16).hex()}\n"
        f"BYOD_ENCRYPTION_KEYS={new_encryption_key_entry('readme1')}\n"
    )
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=ENV, capture_output=True, text=True, check=True
    ).stdout


ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BYOD_"))},
    "GIT_AUTHOR_NAME": "Operator",
    "GIT_AUTHOR_EMAIL": "operator@example.com",
    "GIT_COMMITTER_NAME": "Operator",
    "GIT_COMMITTER_EMAIL": "operator@example.com",
}


def shell(repo: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=repo,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_a_new_version_follows_the_readme_to_a_clean_build(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed: the README's steps build with the Convex CLI")
    repo = copy_of_the_repository(tmp_path)
    package = repo / "byod" / "package"

    # 1. Edit a table: notes get a required field.
    edit(
        package / "notes.py",
        '"updatedAt": v.number(),',
        '"updatedAt": v.number(),\n            "isLocked": v.boolean(),',
    )
    # 2. Bump the version; its notes in two voices.
    edit(package / "version.py", f"CURRENT_VERSION = {NEW - 1}", f"CURRENT_VERSION = {NEW}")
    edit(
        package / "version.py",
        "\n}\n",
        f"\n    {NEW}: VersionNotes(\n"
        '        operator="notes.isLocked (boolean, required; backfilled false).",\n'
        '        user="A note can be locked against changes; your notes start unlocked.",\n'
        "    ),\n}\n",
    )
    # Without its rewrite, the check names the field and the file to write it in.
    said = shell(
        repo, "set -a; . ./.local.env; set +a\n.venv/bin/python manage.py byod_schema check"
    )
    assert said.returncode != 0
    assert "notes.isLocked is required" in said.stderr + said.stdout
    assert f"byod/package/rewrites/v{NEW}.py" in said.stderr + said.stdout
    # 3. The rewrite, in a new file found by its name.
    (package / "rewrites" / f"v{NEW}.py").write_text(
        textwrap.dedent(
            f'''\
            """Version {NEW}: notes can be locked; existing notes are not."""

            from byod.schema.rewrites import Backfill, Rewrite, VersionRewrites

            DECLARATION = VersionRewrites(
                version={NEW},
                rewrites=(Rewrite("note-lock", table="notes", ops=[Backfill("isLocked", False)]),),
                downgrade_acknowledge=("notes.isLocked",),
            )
            '''
        )
    )

    # 4. The README's commands, as written, in order.
    ran = shell(repo, readme_commands())
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (repo / "byod" / "convex_project" / "node_modules" / "convex").is_dir()
    assert f"built v{NEW}" in ran.stdout
    assert "lint clean, every version's changes covered, version locked" in ran.stdout

    manifest = json.loads((repo / "byod" / "builds" / f"v{NEW}" / "manifest.json").read_text())
    assert manifest["version"] == NEW
    assert [m["name"] for m in manifest["migrations"]] == [f"v{NEW}:note-lock"]
    assert manifest["downgrade"]["loses"] == ["notes.isLocked"]
    committed = git(repo, "show", "--stat", "--format=%s", "HEAD")
    assert committed.startswith("Package version N")
    assert f"byod/builds/v{NEW}/push_request.json" in committed
    assert "isLocked" in (repo / "byod" / "convex_project" / "convex" / "schema.ts").read_text()
    assert git(repo, "status", "--porcelain") == "", "everything the build wrote is committed"
