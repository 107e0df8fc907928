"""Package versions: fingerprints, the lock file and the consistency check.

The lock file (byod/package/versions.lock.json) records, for every released version, the
fingerprint of its content and its canonical export, so later versions can be diffed against it
without the old Python sources.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from byod.schema import notes
from byod.schema.data_functions import data_modules
from byod.schema.notes import VersionNotes
from byod.schema.tables import Schema, canonical_json
from byod.schema.typescript import HAND_WRITTEN, PROJECT_DIR

LOCK_PATH = Path(__file__).resolve().parent.parent / "package" / "versions.lock.json"


def function_sources(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The hand-written files that end up in the artifact (functions, config, pinned deps)."""
    return {rel: (project_dir / rel).read_text() for rel in HAND_WRITTEN}


def fingerprint(
    schema: Schema,
    sources: dict[str, str] | None = None,
    migrations: list[dict[str, Any]] | None = None,
) -> str:
    """sha256 of the canonical export, the function sources, the data functions generated from
    the owner declarations and the version's declared data migrations (as
    `VersionRewrites.json()`): changes when content does."""
    sources = function_sources() if sources is None else sources
    content: dict[str, Any] = {"export": schema.export(), "sources": sources}
    data = data_modules(schema)
    if data:
        content["data"] = data
    if migrations:
        content["migrations"] = migrations
    payload = canonical_json(content)
    return hashlib.sha256(payload.encode()).hexdigest()


def load_lock(path: Path | None = None) -> dict[str, Any]:
    """The lock file's content: {"versions": {"<n>": {"fingerprint", "export"}}}."""
    path = path or LOCK_PATH
    if not path.exists():
        return {"versions": {}}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def locked_export(version: int, path: Path | None = None) -> dict[str, Any]:
    """The canonical export recorded for `version` (version 0 is the empty schema)."""
    if version == 0:
        return {"tables": [], "schemaValidation": True}
    entry = load_lock(path)["versions"].get(str(version))
    if entry is None:
        raise KeyError(f"version {version} is not in {(path or LOCK_PATH).name}")
    export: dict[str, Any] = entry["export"]
    return export


def record_version(
    version: int,
    schema: Schema,
    *,
    allow_rewrite: bool = False,
    path: Path | None = None,
    migrations: list[dict[str, Any]] | None = None,
) -> bool:
    """Records `version` in the lock file; returns True when the file changed.

    Refuses (ValueError) to change the fingerprint of a version already recorded, unless
    `allow_rewrite` (only for a version that was never deployed anywhere).
    """
    path = path or LOCK_PATH
    lock = load_lock(path)
    new = {"fingerprint": fingerprint(schema, migrations=migrations), "export": schema.export()}
    old = lock["versions"].get(str(version))
    if old == new:
        return False
    if old is not None and not allow_rewrite:
        raise ValueError(
            f"version {version} was released with other content. Bump CURRENT_VERSION in "
            "byod/package/version.py, add a CHANGELOG entry, and build again."
        )
    lock["versions"][str(version)] = new
    lock["versions"] = dict(sorted(lock["versions"].items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps(lock, indent=1, sort_keys=False) + "\n")
    return True


def check(
    schema: Schema,
    current_version: int,
    changelog: dict[int, VersionNotes],
    path: Path | None = None,
    *,
    migrations: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Problems with versioning: content changed without a bump, versions without notes in
    both voices, developer words in what users read (`byod.schema.notes`)."""
    path = path or LOCK_PATH
    problems = notes.problems(changelog, current_version)
    versions = load_lock(path)["versions"]
    entry = versions.get(str(current_version))
    if entry is None:
        problems.append(
            f"version {current_version} is not in {path.name}: run `manage.py byod_build`."
        )
    elif entry["fingerprint"] != fingerprint(schema, migrations=migrations):
        problems.append(
            f"the package content changed but CURRENT_VERSION is still {current_version} "
            f"(released with fingerprint {entry['fingerprint'][:12]}). Bump CURRENT_VERSION, add "
            "a CHANGELOG entry, and run `manage.py byod_build`."
        )
    for key in versions:
        if int(key) > current_version:
            problems.append(f"{path.name} has version {key} > CURRENT_VERSION {current_version}.")
    return problems
