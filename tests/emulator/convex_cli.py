"""Run the real Convex CLI (pinned in tests/emulator/package.json) against Convex projects."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import brotli
import httpx

EMULATOR_DIR = Path(__file__).resolve().parent
FIXTURE_PROJECT = EMULATOR_DIR / "fixtures" / "project"
# Tables and functions for the data plane's tests: pagination, search, limits, slow calls.
DATA_PROJECT = EMULATOR_DIR / "fixtures" / "data_project"
CLI = EMULATOR_DIR / "node_modules" / ".bin" / "convex"
CLI_TIMEOUT_S = 240


def copy_project(source: Path, target: Path, schema_ts: str | None = None) -> Path:
    """Copy a Convex project without its node_modules and generated code, then link ours.

    Bundling resolves `convex` from the nearest node_modules, so the copy gets a symlink to the
    project's own install when it has one, else to the emulator's (same pinned `convex`).
    """
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns("node_modules", "_generated", ".env.local"),
    )
    own = source / "node_modules"
    (target / "node_modules").symlink_to(own if own.is_dir() else EMULATOR_DIR / "node_modules")
    if schema_ts is not None:
        (target / "convex" / "schema.ts").write_text(schema_ts)
    return target


def cli_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CONVEX_") and k not in {"DJANGO_SETTINGS_MODULE"}
    }
    env["HOME"] = str(home)  # the CLI may write ~/.convex; keep it out of the real home
    env["CI"] = "1"
    env["NO_COLOR"] = "1"
    return env


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args],
        cwd=project,
        env=cli_env(project),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


@functools.cache
def push_request(schema_ts: str | None = None, project: Path = FIXTURE_PROJECT) -> dict[str, Any]:
    """The exact start_push body the CLI sends for a fixture project (optionally another schema).

    Written offline with --write-push-request; the adminKey is a placeholder to be replaced.
    """
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_project(project, Path(tmp) / "project", schema_ts)
        out = Path(tmp) / "push"
        result = run_cli(
            copy,
            "deploy",
            "--url",
            "http://127.0.0.1:9",
            "--admin-key",
            "placeholder",
            "--write-push-request",
            str(out),
            "--push-all-modules",
            "--codegen",
            "disable",
            "--typecheck",
            "disable",
            "-y",
        )
        written = Path(str(out) + ".json")
        if not written.exists():
            written = out
        assert result.returncode == 0 and written.exists(), result.stdout + result.stderr
        body: dict[str, Any] = json.loads(written.read_text())
        return body


def post(
    client: httpx.Client, url: str, path: str, body: dict[str, Any], *, br: bool = False
) -> httpx.Response:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if br:
        data = brotli.compress(data, quality=5)
        headers["Content-Encoding"] = "br"
    return client.post(url + path, content=data, headers=headers)


def push(
    client: httpx.Client,
    url: str,
    admin_key: str,
    request: dict[str, Any],
    *,
    dry_run: bool = False,
    finish: bool = True,
) -> dict[str, Any]:
    """Push as the CLI does: start_push, wait_for_schema until settled, finish_push.

    Returns {"start": response, "statuses": [...], "finish": response | None}.
    """
    body = {**request, "adminKey": admin_key, "dryRun": dry_run}
    start = post(client, url, "/api/deploy2/start_push", body, br=True)
    outcome: dict[str, Any] = {"start": start, "statuses": [], "finish": None}
    if start.status_code != 200:
        return outcome
    start_json = start.json()
    while True:
        status = post(
            client,
            url,
            "/api/deploy2/wait_for_schema",
            {
                "adminKey": admin_key,
                "schemaChange": start_json["schemaChange"],
                "timeoutMs": 10_000,
                "dryRun": dry_run,
            },
        )
        assert status.status_code == 200, status.text
        outcome["statuses"].append(status.json())
        if status.json()["type"] != "inProgress":
            break
    if finish and outcome["statuses"][-1]["type"] == "complete":
        outcome["finish"] = post(
            client,
            url,
            "/api/deploy2/finish_push",
            {"adminKey": admin_key, "startPush": start_json, "dryRun": dry_run, "message": None},
            br=True,
        )
    return outcome
