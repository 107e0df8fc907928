"""Build the deployable artifacts of a package version with the real Convex CLI (needs Node).

An artifact is the exact `start_push` body `npx convex deploy --write-push-request` writes
(no network involved), minus the admin key. The app later fills in the key and pushes it.

A version has two: its own (`push_request.json`, whose sha256 is the package hash) and the
expanded one (`expanded_push_request.json`: the same functions with a schema that accepts the
documents of every supported version up to this one, pushed before its data migrations run).
The manifest records both hashes, the version's migrations and how to go back a version.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from byod.schema.tables import Schema
from byod.schema.typescript import PROJECT_DIR, write_project

PUSH_REQUEST = "push_request.json"
EXPANDED_PUSH_REQUEST = "expanded_push_request.json"
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
    """A built version: the push request bytes (key stripped), the expanded one, the manifest."""

    push_request: bytes
    manifest: dict[str, Any]
    expanded_push_request: bytes | None = None

    def files(self) -> dict[str, bytes]:
        """File name -> bytes, as `write` lays them out."""
        files = {PUSH_REQUEST: self.push_request}
        if self.expanded_push_request is not None:
            files[EXPANDED_PUSH_REQUEST] = self.expanded_push_request
        files["manifest.json"] = (json.dumps(self.manifest, indent=2) + "\n").encode()
        return files

    def write(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, content in self.files().items():
            (out_dir / name).write_bytes(content)


def convex_cli() -> Path:
    """The pinned CLI in byod/convex_project/node_modules (install it with `npm ci`)."""
    cli = PROJECT_DIR / "node_modules" / "convex" / "bin" / "main.js"
    if not cli.is_file():
        raise BuildError(f"the convex CLI is not installed: run `npm ci` in {PROJECT_DIR}.")
    if shutil.which("node") is None:
        raise BuildError("Node is needed to build (node not found on PATH).")
    return cli


@dataclass(frozen=True)
class Release:
    """What a version ships besides its schema: the expanded schema, its data migrations (as
    `VersionRewrites.json()`), how to go back a version (`Downgrade.json()`), the names of
    the hand-written migration functions its build must contain, and the hand-written
    sources (None: byod/convex_project's)."""

    expanded: Schema | None = None
    oldest: int = 1
    migrations: list[dict[str, Any]] = field(default_factory=list)
    downgrade: dict[str, Any] | None = None
    custom_functions: tuple[str, ...] = ()
    sources: dict[str, str] | None = None


def build(schema: Schema, version: int, fingerprint: str, release: Release | None = None) -> Built:
    """Generates the project for `schema`, runs the CLI, returns the artifacts of `version`
    (the expanded one too when `release` has an expanded schema)."""
    release = release or Release()
    push_request, body = _push_request(schema, version, release, schema)
    sha = hashlib.sha256(push_request).hexdigest()
    convex_version = json.loads((PROJECT_DIR / "package.json").read_text())["dependencies"][
        "convex"
    ]
    manifest: dict[str, Any] = {
        "version": version,
        "package_hash": sha,
        "fingerprint": fingerprint,
        "convex": convex_version,
        "files": {PUSH_REQUEST: sha},
        "modules": sorted(m["path"] for m in body["appDefinition"]["changedModules"]),
    }
    expanded = None
    if release.expanded is not None:
        # The same functions as the version's own: the data functions of its declarations.
        expanded, _ = _push_request(release.expanded, version, release, schema)
        expanded_sha = hashlib.sha256(expanded).hexdigest()
        manifest["files"][EXPANDED_PUSH_REQUEST] = expanded_sha
        manifest["expanded"] = {"package_hash": expanded_sha, "accepts_from": release.oldest}
        manifest["migrations"] = release.migrations
        manifest["downgrade"] = release.downgrade
    return Built(push_request, manifest, expanded)


def _push_request(
    schema: Schema, version: int, release: Release, owners: Schema
) -> tuple[bytes, dict[str, Any]]:
    """The push request bytes (key stripped) of the project for `schema` (data functions from
    the declarations of `owners`), and its body."""
    cli = convex_cli()
    with tempfile.TemporaryDirectory(prefix="byod-build-") as tmp:
        project = Path(tmp) / "project"
        write_project(
            project,
            schema,
            version,
            custom_functions=release.custom_functions,
            sources=release.sources,
            owners=owners,
        )
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
    body: dict[str, Any] = json.loads(raw)
    body.pop("adminKey", None)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), body
