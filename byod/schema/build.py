"""Build the deployable artifact of a package version with the real Convex CLI (needs Node).

The artifact is the exact `start_push` body `npx convex deploy --write-push-request` writes
(no network involved), minus the admin key. The app later fills in the key and pushes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byod.schema.tables import Schema
from byod.schema.typescript import PROJECT_DIR, write_project

PUSH_REQUEST = "push_request.json"
# Any URL and key do: --write-push-request stops before the first request. Port 9 (discard)
# makes sure nothing is sent should that ever change.
CLI_ARGS = [
    "deploy",
    "--url",
    "http://127.0.0.1:9",
    "--admin-key",
    "x",
    "--push-all-modules",
    "--codegen",
    "disable",
    "--typecheck",
    "disable",
    "-y",
]


class BuildError(Exception):
    """Building failed; the message says why (Node missing, CLI error, ...)."""


@dataclass(frozen=True)
class Built:
    """A built artifact: the push request bytes (key stripped) and the manifest."""

    push_request: bytes
    manifest: dict[str, Any]

    def write(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / PUSH_REQUEST).write_bytes(self.push_request)
        (out_dir / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")


def convex_cli() -> Path:
    """The pinned CLI in byod/convex_project/node_modules (install it with `npm ci`)."""
    cli = PROJECT_DIR / "node_modules" / "convex" / "bin" / "main.js"
    if not cli.is_file():
        raise BuildError(f"the convex CLI is not installed: run `npm ci` in {PROJECT_DIR}.")
    if shutil.which("node") is None:
        raise BuildError("Node is needed to build (node not found on PATH).")
    return cli


def build(schema: Schema, version: int, fingerprint: str) -> Built:
    """Generates the project for `schema`, runs the CLI, returns the artifact of `version`."""
    cli = convex_cli()
    with tempfile.TemporaryDirectory(prefix="byod-build-") as tmp:
        project = Path(tmp) / "project"
        write_project(project, schema, version)
        # A real copy, not a symlink: esbuild resolves symlinks and writes the resolved
        # path into bundle comments and source maps, which made the artifact depend on
        # where the checkout lives. Inside the project every path is relative to it.
        shutil.copytree(
            PROJECT_DIR / "node_modules" / "convex",
            project / "node_modules" / "convex",
            symlinks=True,
        )
        out = Path(tmp) / "push"
        env = {**os.environ, "CONVEX_DEPLOY_KEY": "", "CONVEX_DEPLOYMENT": ""}
        env.pop("CONVEX_DEPLOY_KEY")
        env.pop("CONVEX_DEPLOYMENT")
        proc = subprocess.run(
            ["node", str(cli), *CLI_ARGS, "--write-push-request", str(out)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        written = out.with_suffix(".json")
        if proc.returncode != 0 or not written.is_file():
            raise BuildError(f"convex CLI failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
        raw = written.read_bytes()
    body = json.loads(raw)
    body.pop("adminKey", None)
    push_request = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    sha = hashlib.sha256(push_request).hexdigest()
    convex_version = json.loads((PROJECT_DIR / "package.json").read_text())["dependencies"][
        "convex"
    ]
    manifest = {
        "version": version,
        "package_hash": sha,
        "fingerprint": fingerprint,
        "convex": convex_version,
        "files": {PUSH_REQUEST: sha},
        "modules": sorted(m["path"] for m in body["appDefinition"]["changedModules"]),
    }
    return Built(push_request, manifest)
