"""Build the artifacts of the current package version (needs Node), or check they are current."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod import builds
from byod.package import history_of
from byod.package.messages import EMBEDDING_DIMENSIONS
from byod.package.schema import schema
from byod.package.version import (
    CHANGELOG,
    CURRENT_VERSION,
    DATA_FUNCTIONS_SINCE,
    MOVE_FUNCTIONS_SINCE,
)
from byod.schema import python_types
from byod.schema.build import BuildError, Release, build
from byod.schema.data_functions import DATA_DIR, data_modules
from byod.schema.lint import lint
from byod.schema.move_functions import move_problems
from byod.schema.tables import Schema
from byod.schema.typescript import PROJECT_DIR, registry_ts, schema_ts, write_project
from byod.schema.versioning import check, fingerprint, record_version


class Command(BaseCommand):
    help = (
        "Build byod/builds/v<CURRENT_VERSION>/ (the version's artifact and its expanded one) "
        "with the Convex CLI, regenerate byod/convex_project and record the version in the "
        "lock file. --check only verifies."
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

    def _release(self) -> tuple[Release, list[dict[str, Any]], list[str]]:
        """What the current version ships, its declared migrations, and the version guards."""
        try:
            history = history_of(schema, CURRENT_VERSION)
        except KeyError as exc:
            raise CommandError(f"{exc.args[0]}: build the versions in order.") from exc
        release = history.release(CURRENT_VERSION)
        problems = history.problems()
        if CURRENT_VERSION >= MOVE_FUNCTIONS_SINCE:
            problems += [f"move functions: {p}" for p in move_problems(schema)]
        if release.expanded is not None:
            problems += [
                f"expanded schema of v{CURRENT_VERSION}: {f}"
                # Read back from exports, it has no owner declarations: the version's own has.
                for f in lint(
                    release.expanded,
                    vector_dimensions=EMBEDDING_DIMENSIONS,
                    check_owner_declarations=False,
                )
            ]
        return release, history.declared(CURRENT_VERSION).json(), problems

    def _build(self, allow_rewrite: bool) -> None:
        missing = [v for v in range(1, CURRENT_VERSION + 1) if not CHANGELOG.get(v)]
        if missing:
            raise CommandError(f"add a CHANGELOG entry for version(s) {missing} first.")
        release, migrations, problems = self._release()
        if problems:
            raise CommandError("version check:\n" + "\n".join(problems))
        try:
            changed = record_version(
                CURRENT_VERSION, schema, allow_rewrite=allow_rewrite, migrations=migrations
            )
            built = build(
                schema, CURRENT_VERSION, fingerprint(schema, migrations=migrations), release
            )
        except (ValueError, BuildError) as exc:
            raise CommandError(str(exc)) from exc
        write_project(
            PROJECT_DIR, schema, CURRENT_VERSION, custom_functions=release.custom_functions
        )
        built.write(builds.version_dir(CURRENT_VERSION))
        python_types.write(schema, DATA_FUNCTIONS_SINCE)
        expanded = built.manifest.get("expanded")
        self.stdout.write(
            f"built v{CURRENT_VERSION}: package hash {built.manifest['package_hash']}"
            + (f", expanded {expanded['package_hash']}" if expanded else "")
            + (" (lock file updated)" if changed else "")
        )

    def _check(self) -> None:
        release, migrations, problems = self._release()
        problems += check(schema, CURRENT_VERSION, CHANGELOG, migrations=migrations)
        problems += _stale_sources(schema, release)
        committed = builds.version_dir(CURRENT_VERSION)
        try:
            built = build(
                schema, CURRENT_VERSION, fingerprint(schema, migrations=migrations), release
            )
        except BuildError as exc:
            raise CommandError(str(exc)) from exc
        with tempfile.TemporaryDirectory() as tmp:
            built.write(Path(tmp))
            for name in built.files():
                ours = committed / name
                if not ours.is_file() or ours.read_bytes() != (Path(tmp) / name).read_bytes():
                    problems.append(
                        f"{ours} is stale or missing: run `manage.py byod_build` and commit."
                    )
        for version in builds.available_versions():
            try:
                builds.load_artifact(version)
                if builds.manifest(version).get("expanded"):
                    builds.load_artifact(version, expanded=True)
            except builds.ArtifactError as exc:
                problems.append(str(exc))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s).")
        self.stdout.write(f"v{CURRENT_VERSION} artifacts are current.")


def _stale_sources(schema: Schema, release: Release) -> list[str]:
    """The generated files of byod/convex_project that differ from what a build writes."""
    expected = {
        "convex/schema.ts": schema_ts(schema, CURRENT_VERSION),
        "convex/migrationRegistry.ts": registry_ts(release.custom_functions),
        **data_modules(schema),
    }
    problems = python_types.stale(schema, DATA_FUNCTIONS_SINCE)
    for name, text in expected.items():
        path = PROJECT_DIR / name
        if not path.is_file() or path.read_text() != text:
            problems.append(f"{path} is stale: run `manage.py byod_build`.")
    for path in sorted((PROJECT_DIR / DATA_DIR).glob("*.ts")):
        if f"{DATA_DIR}/{path.name}" not in expected:
            problems.append(f"{path} is not generated by this version: run `manage.py byod_build`.")
    return problems
