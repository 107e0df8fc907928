"""Inspect and check the schema package: show, json, ts, lint, diff, check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod.package import history_of
from byod.package.messages import EMBEDDING_DIMENSIONS
from byod.package.schema import schema as package_schema
from byod.package.version import CHANGELOG, CURRENT_VERSION
from byod.schema.diff import diff_exports, summary
from byod.schema.lint import lint
from byod.schema.loading import load_schema
from byod.schema.tables import Schema
from byod.schema.typescript import write_project
from byod.schema.versioning import check, locked_export


class Command(BaseCommand):
    help = "Show, export, generate, lint, diff and check the BYOD schema package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="Version, changelog and a table overview.")
        json_p = sub.add_parser(
            "json", help="The canonical export (as defineSchema().export()) of the package."
        )
        _add_module_argument(json_p)
        ts = sub.add_parser(
            "ts",
            help="Write the deployable Convex project of the package (its schema.ts and "
            "convex.config.ts carry the package version).",
        )
        ts.add_argument("--out", required=True, help="Directory to write the project into.")
        _add_module_argument(
            ts,
            " The generated files then carry no version number: versions belong to the "
            "BYOD package, not to another module's schema.",
        )
        lint_p = sub.add_parser("lint", help="Lint the package or another module's schema.")
        _add_module_argument(
            lint_p, " Its vector indexes may use any dimensions (the package's are fixed)."
        )
        diff = sub.add_parser("diff", help="Changes between two versions, classified.")
        diff.add_argument("--from", dest="from_version", type=int, help="Default: current - 1.")
        diff.add_argument("--to", dest="to_version", type=int, help="Default: working tree.")
        diff.add_argument("--json", action="store_true", help="Print JSON.")
        sub.add_parser("check", help="Lint and version check (content changed => bump).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        getattr(self, f"do_{action}")(options)

    def do_show(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"BYOD schema package v{CURRENT_VERSION}")
        for version, notes in sorted(CHANGELOG.items()):
            self.stdout.write(f"  v{version}: {notes.operator}")
            self.stdout.write(f"      users read: {notes.user}")
        for name, table in package_schema.tables.items():
            self.stdout.write(
                f"{name}: {len(table.fields)} fields, {len(table.indexes)} indexes, "
                f"{len(table.search_indexes)} search, {len(table.vector_indexes)} vector"
            )

    def do_json(self, options: dict[str, Any]) -> None:
        self.stdout.write((_module_schema(options) or package_schema).canonical_json())

    def do_ts(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a directory.")
        other = _module_schema(options)
        if other is None:
            written = write_project(out, package_schema, CURRENT_VERSION)
        else:
            written = write_project(out, other, version=None)
        for path in written:
            self.stdout.write(str(path))

    def do_lint(self, options: dict[str, Any]) -> None:
        other = _module_schema(options)
        schema: Schema = other or package_schema
        dims = EMBEDDING_DIMENSIONS if other is None else None
        findings = lint(schema, vector_dimensions=dims)
        for finding in findings:
            self.stdout.write(str(finding))
        if findings:
            raise CommandError(f"{len(findings)} lint finding(s).", returncode=1)
        self.stdout.write(f"{len(schema.tables)} tables lint clean.")

    def do_diff(self, options: dict[str, Any]) -> None:
        to_version = options.get("to_version")
        from_version = options.get("from_version")
        if from_version is None:
            from_version = (to_version or CURRENT_VERSION) - 1
        try:
            old = locked_export(from_version)
            new = locked_export(to_version) if to_version is not None else package_schema.export()
        except KeyError as exc:
            raise CommandError(f"{exc.args[0]}; known versions are in the lock file.") from exc
        changes = diff_exports(old, new)
        if options.get("json"):
            self.stdout.write(json.dumps(summary(changes), indent=2))
            return
        target = f"v{to_version}" if to_version is not None else "working tree"
        self.stdout.write(f"v{from_version} -> {target}: {len(changes)} change(s)")
        for change in changes:
            self.stdout.write(f"  {change}")

    def do_check(self, options: dict[str, Any]) -> None:
        problems = [str(f) for f in lint(package_schema, vector_dimensions=EMBEDDING_DIMENSIONS)]
        try:
            history = history_of(package_schema, CURRENT_VERSION)
        except KeyError as exc:
            raise CommandError(f"{exc.args[0]}; known versions are in the lock file.") from exc
        problems += history.problems()
        migrations = history.declared(CURRENT_VERSION).json()
        problems += check(package_schema, CURRENT_VERSION, CHANGELOG, migrations=migrations)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s).")
        self.stdout.write(
            f"schema package v{CURRENT_VERSION}: lint clean, every version's changes covered, "
            "version locked."
        )


def _add_module_argument(parser: CommandParser, more_help: str = "") -> None:
    parser.add_argument(
        "--module",
        help="Use the schema of this module (dotted path; its `schema`, or its only Schema) "
        "instead of the package's." + more_help,
    )


def _module_schema(options: dict[str, Any]) -> Schema | None:
    """The schema of --module (the one way every action loads one), or None without it."""
    dotted = options.get("module")
    if not dotted:
        return None
    try:
        return load_schema(dotted)
    except LookupError as exc:
        raise CommandError(str(exc)) from exc
