"""Build the artifact of the current package version (needs Node), or check it is current."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod import builds
from byod.package.messages import EMBEDDING_DIMENSIONS
from byod.package.schema import schema
from byod.package.version import CHANGELOG, CURRENT_VERSION
from byod.schema.build import PUSH_REQUEST, BuildError, build
from byod.schema.lint import lint
from byod.schema.typescript import PROJECT_DIR, schema_ts, write_project
from byod.schema.versioning import check, fingerprint, record_version


class Command(BaseCommand):
    help = (
        "Build byod/builds/v<CURRENT_VERSION>/ with the Convex CLI, regenerate "
        "byod/convex_project and record the version in the lock file. --check only verifies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Rebuild in a temp dir; fail if stale."
        )
        parser.add_argument(
            "--allow-rewrite",
            action="store_true",
            help="Replace the lock entry of a version that was never deployed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        findings = lint(schema, vector_dimensions=EMBEDDING_DIMENSIONS)
        if findings:
            raise CommandError("lint findings:\n" + "\n".join(str(f) for f in findings))
        if options["check"]:
            self._check()
        else:
            self._build(options["allow_rewrite"])

    def _build(self, allow_rewrite: bool) -> None:
        missing = [v for v in range(1, CURRENT_VERSION + 1) if not CHANGELOG.get(v)]
        if missing:
            raise CommandError(f"add a CHANGELOG entry for version(s) {missing} first.")
        try:
            changed = record_version(CURRENT_VERSION, schema, allow_rewrite=allow_rewrite)
            built = build(schema, CURRENT_VERSION, fingerprint(schema))
        except (ValueError, BuildError) as exc:
            raise CommandError(str(exc)) from exc
        write_project(PROJECT_DIR, schema, CURRENT_VERSION)
        built.write(builds.version_dir(CURRENT_VERSION))
        self.stdout.write(
            f"built v{CURRENT_VERSION}: package hash {built.manifest['package_hash']}"
            + (" (lock file updated)" if changed else "")
        )

    def _check(self) -> None:
        problems = check(schema, CURRENT_VERSION, CHANGELOG)
        schema_file = PROJECT_DIR / "convex" / "schema.ts"
        if not schema_file.is_file() or schema_file.read_text() != schema_ts(
            schema, CURRENT_VERSION
        ):
            problems.append(f"{schema_file} is stale: run `manage.py byod_build`.")
        committed = builds.version_dir(CURRENT_VERSION)
        try:
            built = build(schema, CURRENT_VERSION, fingerprint(schema))
        except BuildError as exc:
            raise CommandError(str(exc)) from exc
        with tempfile.TemporaryDirectory() as tmp:
            built.write(Path(tmp))
            for name in (PUSH_REQUEST, "manifest.json"):
                ours = committed / name
                if not ours.is_file() or ours.read_bytes() != (Path(tmp) / name).read_bytes():
                    problems.append(
                        f"{ours} is stale or missing: run `manage.py byod_build` and commit."
                    )
        for version in builds.available_versions():
            try:
                builds.load_artifact(version)
            except builds.ArtifactError as exc:
                problems.append(str(exc))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s).")
        self.stdout.write(f"v{CURRENT_VERSION} artifact is current.")
