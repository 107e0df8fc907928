"""What our package put in the user's deployment, and what each version changed, in plain
words: the tables of a version (from the locked schema exports) and, per version, the
user notes (never the operators' changelog) and the schema diff from the version before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from byod import package
from byod.models import Connection
from byod.schema.diff import EMPTY_EXPORT, Change, diff_exports
from byod.services.contents import package_export
from byod.views import words

# Tables the package keeps for itself, described for users.
OWN_TABLES = {
    "byodMeta": "which version of our package your deployment runs",
    "byodMigrations": "the progress of document upgrades",
}


@dataclass(frozen=True)
class TableInfo:
    name: str
    fields: int
    indexes: int
    note: str = ""


@dataclass(frozen=True)
class VersionNotes:
    version: int
    notes: str  # the user notes of the version
    changes: list[str]


def tables_of(version: int | None) -> list[TableInfo]:
    """The tables version `version` of our package defines (empty when unknown)."""
    export = package_export(version) if version else None
    if export is None:
        return []
    infos = []
    for table in export["tables"]:
        shape = table.get("documentType") or {}
        fields = shape.get("value") if shape.get("type") == "object" else None
        indexes = sum(len(table.get(k, [])) for k in ("indexes", "searchIndexes", "vectorIndexes"))
        name = table["tableName"]
        infos.append(TableInfo(name, len(fields or {}), indexes, OWN_TABLES.get(name, "")))
    return sorted(infos, key=lambda t: (bool(t.note), t.name))


@dataclass(frozen=True)
class CountRow:
    table: TableInfo
    count: int | None  # None: not counted (a table newer than the last count)


@dataclass(frozen=True)
class Counts:
    """The documents in our tables, as last counted on the worker, and the count under way."""

    rows: list[CountRow]
    counted_at: datetime | None
    requested_at: datetime | None
    pending: bool
    failure: str  # why the last count failed, in words; empty when it did not

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows if row.count is not None)


def counts_of(connection: Connection) -> Counts:
    """The connection's tables (of the version it runs) with their last counts."""
    counted = connection.table_counts if isinstance(connection.table_counts, dict) else {}
    rows = []
    for table in tables_of(connection.deployed_version):
        value = counted.get(table.name)
        rows.append(CountRow(table, value if isinstance(value, int) else None))
    pending = connection.count_is_pending
    failure = words.count_failure(connection.count_error) if connection.count_error else ""
    return Counts(
        rows,
        connection.table_counts_at,
        connection.count_requested_at if pending else None,
        pending,
        "" if pending else failure,
    )


def plain(change: Change) -> str:
    """One schema change as a sentence a user understands."""
    table, name, kind = change.table, change.name, change.kind
    if kind == "table_added":
        return f"New table {table}."
    if kind == "table_removed":
        return f"Table {table} is removed."
    if kind == "field_added":
        return f"{table} documents get a new field, {name}."
    if kind == "field_removed":
        return f"{table} documents lose the field {name}."
    if kind == "field_changed":
        if "now required" in change.message:
            return f"{table}.{name} becomes required; we fill it in on existing documents."
        if "now optional" in change.message:
            return f"{table}.{name} becomes optional."
        return f"{table}.{name} accepts different values."
    if kind.endswith("_added"):
        return f"A new index speeds up lookups in {table} ({name})."
    if kind.endswith("_removed"):
        return f"An index of {table} is removed ({name})."
    if kind.endswith("_changed"):
        return f"An index of {table} is rebuilt ({name})."
    return change.message.capitalize()


def version_notes(version: int) -> VersionNotes:
    before = package_export(version - 1) if version > 1 else EMPTY_EXPORT
    after = package_export(version)
    changes: list[str] = []
    if version > 1 and before is not None and after is not None:
        changes = [plain(c) for c in diff_exports(before, after)]
    text = package.user_notes().get(version, "")  # users read the user notes only
    return VersionNotes(version, text, changes)


def all_notes(up_to: int | None = None) -> list[VersionNotes]:
    """Every version's notes up to `up_to` (default: the current version), newest first."""
    last = up_to or package.current_version()
    return [version_notes(v) for v in range(last, 0, -1)]
