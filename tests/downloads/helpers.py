"""What the downloads' tests read back: a ZIP's tables, documents' hashes, the real CLI's import."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from tests.emulator.convex_cli import CLI, FIXTURE_PROJECT, cli_env, copy_project
from tests.fixtures.emulator import EmulatorDeployment


def zip_tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each table's documents in a snapshot ZIP (its `<table>/documents.jsonl`)."""
    found: dict[str, list[dict[str, Any]]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith("/documents.jsonl"):
                lines = zf.read(name).decode().splitlines()
                found[name.split("/")[0]] = [json.loads(line) for line in lines if line]
    return found


def _plain(value: Any) -> Any:
    """Numbers as JSON means them (1.0 and 1 are the same float64 in Convex)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def digest(docs: list[dict[str, Any]]) -> str:
    """A hash of documents whatever their order: each one's canonical JSON, sorted."""
    lines = sorted(json.dumps(_plain(d), sort_keys=True, separators=(",", ":")) for d in docs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def cli_import(
    deployment: EmulatorDeployment, path: Path, work: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`npx convex import --url … --admin-key … <path> -y`, the real CLI, run from a Convex
    project (a copy of the emulator's fixture project under `work`, as a user's would be)."""
    project = work / "project"
    if not project.exists():
        copy_project(FIXTURE_PROJECT, project)
    args = ["import", "--url", deployment.url, "--admin-key", deployment.admin_key]
    return subprocess.run(
        [str(CLI), *args, str(path.resolve()), "-y", *extra],
        cwd=project,
        env=cli_env(project),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
