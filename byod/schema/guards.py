"""The version guards of `byod_schema check`: does a version's declaration cover its changes?

Going up (`forward_problems`): the documents of version N-1, after N's migrations, must be
valid under N's schema. The check simulates each migration on the shape of the old documents
(field types and whether a field may be missing), then compares the result with the new
schema: every problem names the table, the field and what it needs. Destructive changes must
be acknowledged in the declaration (a renamed field is not lost).

Going down (`downgrade`): the same classification from N to N-1. The steps back are derived
(a rename is undone, a field N-1 does not know is removed); a field N-1 requires that N's
documents no longer have, or a value N-1 cannot hold, makes going back impossible (refused);
removing data (fields and tables N added) must be acknowledged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from byod.schema.diff import DESTRUCTIVE, Change, accepts, diff_exports
from byod.schema.rewrites import (
    Backfill,
    Custom,
    MapValues,
    Remove,
    Rename,
    Rewrite,
    VersionRewrites,
    union_of,
)

DOWN_ID = "down"
# Shape of a field across documents: validator JSON (None: set by a hand-written function, so
# trusted) and whether some documents may lack it.
Shape = dict[str, tuple[dict[str, Any] | None, bool]]


def ack_key(change: Change) -> str:
    """How a destructive change is acknowledged: `table`, `table.field` or `table:index`."""
    if change.kind == "table_removed":
        return change.table
    if change.kind == "field_removed":
        return f"{change.table}.{change.name}"
    if change.kind == "schema_validation_changed":
        return "schemaValidation"
    return f"{change.table}:{change.name}"


def forward_problems(
    old: dict[str, Any], new: dict[str, Any], declared: VersionRewrites
) -> list[str]:
    """What version `declared.version` must still declare to go from `old` to `new`."""
    v = declared.version
    where = f"v{v}"
    problems: list[str] = []
    old_tables = {t["tableName"]: t for t in old["tables"]}
    new_tables = {t["tableName"]: t for t in new["tables"]}
    by_table: dict[str, list[Rewrite]] = {}
    for migration in declared.rewrites:
        if migration.table not in old_tables:
            problems.append(
                f"{where}: migration {migration.id!r} is on table {migration.table!r}, which "
                f"v{v - 1} does not have (no document to migrate)."
            )
            continue
        by_table.setdefault(migration.table, []).append(migration)
    for name, table in new_tables.items():
        before = old_tables.get(name)
        if before is None:
            continue  # a new table holds no documents yet
        old_fields = _fields(before)
        new_fields = _fields(table)
        migrations = by_table.get(name, [])
        if old_fields is None or new_fields is None:
            if before["documentType"] != table["documentType"] and not any(
                isinstance(op, Custom) for m in migrations for op in m.ops
            ):
                if not accepts(table["documentType"], before["documentType"]):
                    problems.append(
                        f"{where}: {name}: the document type changed and is not an object: "
                        "declare a Custom migration on the table."
                    )
            continue
        shape, op_problems = simulate(_shape(old_fields), migrations, new_fields)
        problems += [f"{where}: {name}: {p}" for p in op_problems]
        problems += [f"{where}: {p}" for p in compare(name, shape, new_fields, v, set(old_fields))]
    problems += acknowledgement_problems(old, new, declared)
    return problems


def acknowledgement_problems(
    old: dict[str, Any], new: dict[str, Any], declared: VersionRewrites
) -> list[str]:
    v = declared.version
    renamed = {
        (m.table, op.old) for m in declared.rewrites for op in m.ops if isinstance(op, Rename)
    }
    needed: dict[str, Change] = {}
    for change in diff_exports(old, new):
        if change.kind == "schema_validation_changed" and change.classification != DESTRUCTIVE:
            if new["schemaValidation"]:
                needed["schemaValidation"] = change
            continue
        if change.classification != DESTRUCTIVE:
            continue
        if change.kind == "field_removed" and (change.table, change.name) in renamed:
            continue
        needed[ack_key(change)] = change
    problems = [
        f"v{v}: {change.message} (destructive): acknowledge it by adding {key!r} to "
        f"`acknowledge` in v{v}'s declaration (byod/package/rewrites/v{v}.py)."
        for key, change in needed.items()
        if key not in declared.acknowledge
    ]
    problems += [
        f"v{v}: `acknowledge` lists {key!r}, which is not a destructive change of v{v}."
        for key in declared.acknowledge
        if key not in needed
    ]
    return problems


def simulate(
    shape: Shape, migrations: list[Rewrite], target: dict[str, Any]
) -> tuple[Shape, list[str]]:
    """The shape of the documents after `migrations`; problems with the ops themselves."""
    shape = dict(shape)
    problems: list[str] = []
    for migration in migrations:
        for op in migration.ops:
            problems += _apply(shape, op, target, migration.id)
    return shape, problems


def _apply(shape: Shape, op: Any, target: dict[str, Any], mid: str) -> list[str]:
    if isinstance(op, Backfill):
        fields = {
            n: {"fieldType": t or {"type": "any"}, "optional": o} for n, (t, o) in shape.items()
        }
        kind, missing = op.value.infer(fields)
        if kind is None:
            return [
                f"migration {mid!r}: Backfill({op.field!r}) reads a field the documents do "
                "not have."
            ]
        had, had_missing = shape.get(op.field, (None, True))
        merged = union_of([had, kind]) if had is not None and op.field in shape else kind
        shape[op.field] = (merged, had_missing and missing)
    elif isinstance(op, Rename):
        if op.old not in shape:
            return [
                f"migration {mid!r}: Rename({op.old!r}, {op.new!r}): there is no field {op.old!r}."
            ]
        moved, moved_missing = shape.pop(op.old)
        if op.new in shape:
            kept, kept_missing = shape[op.new]
            kinds = [k for k in (kept, moved) if k is not None]
            shape[op.new] = (union_of(kinds) if kinds else None, kept_missing and moved_missing)
        else:
            shape[op.new] = (moved, moved_missing)
    elif isinstance(op, Remove):
        shape.pop(op.field, None)
    elif isinstance(op, MapValues):
        if op.field not in shape:
            return [f"migration {mid!r}: MapValues({op.field!r}): there is no such field."]
        current, missing = shape[op.field]
        if current is not None:
            mapped = {_literal_key(a) for a, _ in op.mapping}
            members: list[dict[str, Any]] = (
                current["value"] if current.get("type") == "union" else [current]
            )
            remaining = [
                m
                for m in members
                if not (m.get("type") == "literal" and _literal_key(m["value"]) in mapped)
            ]
            added = [_literal(b) for _, b in op.mapping]
            shape[op.field] = (union_of([*remaining, *added]), missing)
    elif isinstance(op, Custom):
        for name in op.covers:
            spec = target.get(name)
            shape[name] = (None, bool(spec["optional"]) if spec else True)
        for name in op.removes:
            shape.pop(name, None)
    return []


def compare(
    table: str,
    shape: Shape,
    target: dict[str, Any],
    version: int,
    had: set[str] | None = None,
) -> list[str]:
    """What keeps documents of `shape` from being valid under the fields `target` (`had`: the
    fields the documents had before the migrations)."""
    file = f"byod/package/rewrites/v{version}.py"
    problems = []
    for name, spec in target.items():
        new_type, optional = spec["fieldType"], spec["optional"]
        if name not in shape:
            if not optional:
                problems.append(
                    f"{table}.{name} is required but the documents do not have it: backfill it "
                    f"(Backfill({name!r}, <value or expression>)) or rename a field to it, in a "
                    f"migration on {table} ({file})."
                )
            continue
        kind, missing = shape[name]
        if missing and not optional:
            problems.append(
                f"{table}.{name} is required but some documents may not have it: backfill it "
                f"(Backfill({name!r}, <value>); an expression that may be missing needs a "
                f"constant at the end of a coalesce(...)) in a migration on {table} ({file})."
            )
        if kind is not None and not accepts(new_type, kind):
            if had is not None and name not in had:
                problems.append(
                    f"{table}.{name}: what the migrations set ({_shown(kind)}) does not fit its "
                    f"type ({_shown(new_type)}) ({file})."
                )
            else:
                problems.append(f"{table}.{name}: {_mismatch(kind, new_type)} ({file}).")
    for name in shape:
        if name not in target:
            problems.append(
                f"{table}.{name} is no longer in the schema but documents still hold it: "
                f"remove it (Remove({name!r})) or rename it (Rename({name!r}, ...)) in a "
                f"migration on {table} ({file})."
            )
    return problems


def _shown(kind: dict[str, Any]) -> str:
    members = kind["value"] if kind.get("type") == "union" else [kind]
    parts = [
        repr(m["value"]) if m.get("type") == "literal" else m.get("type", "?") for m in members
    ]
    return " | ".join(parts)


def _mismatch(kind: dict[str, Any], wanted: dict[str, Any]) -> str:
    members = kind["value"] if kind.get("type") == "union" else [kind]
    misfits = [m for m in members if not accepts(wanted, m)]
    literals = [m["value"] for m in misfits if m.get("type") == "literal"]
    if literals and len(literals) == len(misfits):
        shown = ", ".join(repr(x) for x in literals)
        return (
            f"the values {shown} no longer fit its type: map them to allowed values "
            f"(MapValues(field, {{{literals[0]!r}: <new value>, ...}}))"
        )
    return (
        "its old values do not all fit the new type (a narrowed or changed type): declare a "
        "Custom migration that converts them (Custom('fnName', covers=[field]))"
    )


@dataclass(frozen=True)
class Downgrade:
    """Going from version `version` back to `version - 1`."""

    version: int
    migrations: tuple[Rewrite, ...] = ()
    loses: tuple[str, ...] = ()  # acknowledgement keys of the data it drops
    refused: tuple[str, ...] = dataclass_field(default=())

    def json(self) -> dict[str, Any]:
        return {
            "to": self.version - 1,
            "migrations": [m.json(self.version) for m in self.migrations],
            "loses": list(self.loses),
            "refused": list(self.refused),
        }


def downgrade(newer: dict[str, Any], older: dict[str, Any], declared: VersionRewrites) -> Downgrade:
    """How (and whether) documents of `declared.version` can go back to the version before."""
    v = declared.version
    older_tables = {t["tableName"]: t for t in older["tables"]}
    migrations: list[Rewrite] = []
    loses: list[str] = []
    refused: list[str] = []
    for table in newer["tables"]:
        name = table["tableName"]
        back = older_tables.get(name)
        if back is None:
            # Convex keeps a table the schema no longer names: its documents wait, unused by
            # the older version, for the next upgrade. Nothing is lost.
            continue
        now_fields, then_fields = _fields(table), _fields(back)
        if now_fields is None or then_fields is None:
            if not accepts(back["documentType"], table["documentType"]):
                refused.append(f"{name}: v{v - 1} cannot hold v{v}'s documents (type changed)")
            continue
        ops: list[Any] = []
        shape = _shape(now_fields)
        for migration in reversed([m for m in declared.rewrites if m.table == name]):
            for op in reversed(migration.ops):
                if isinstance(op, Rename) and op.old in then_fields and op.new in shape:
                    ops.append(Rename(op.new, op.old))
        shape, _ = simulate(
            shape, [Rewrite(DOWN_ID, table=name, ops=ops)] if ops else [], then_fields
        )
        for field_name in [f for f in shape if f not in then_fields]:
            ops.append(Remove(field_name))
            loses.append(f"{name}.{field_name}")
            shape.pop(field_name)
        for problem in compare(name, shape, then_fields, v):
            refused.append(problem.split(" (byod/package", 1)[0])
        if ops:
            migrations.append(Rewrite(_down_id(name), table=name, ops=ops))
    return Downgrade(v, tuple(migrations), tuple(loses), tuple(refused))


def downgrade_problems(
    newer: dict[str, Any], older: dict[str, Any], declared: VersionRewrites
) -> list[str]:
    """Refused downgrades are reported by the deploy, not here; unacknowledged losses are."""
    v = declared.version
    plan = downgrade(newer, older, declared)
    if plan.refused:
        return []  # going back is impossible, and says so when asked; nothing to acknowledge
    problems = [
        f"v{v}: going back to v{v - 1} would lose {key} (v{v - 1} does not have it): "
        f"acknowledge it by adding {key!r} to `downgrade_acknowledge` in v{v}'s declaration."
        for key in plan.loses
        if key not in declared.downgrade_acknowledge
    ]
    problems += [
        f"v{v}: `downgrade_acknowledge` lists {key!r}, which going back to v{v - 1} does not lose."
        for key in declared.downgrade_acknowledge
        if key not in plan.loses
    ]
    return problems


def _down_id(table: str) -> str:
    return f"{DOWN_ID}-" + re.sub("[^a-z0-9]+", "-", table.lower()).strip("-")[:50]


def _fields(table: dict[str, Any]) -> dict[str, Any] | None:
    document = table["documentType"]
    if document.get("type") != "object":
        return None
    fields: dict[str, Any] = document["value"]
    return fields


def _shape(fields: dict[str, Any]) -> Shape:
    return {name: (spec["fieldType"], bool(spec["optional"])) for name, spec in fields.items()}


def _literal(value: Any) -> dict[str, Any]:
    return {"type": "null"} if value is None else {"type": "literal", "value": value}


def _literal_key(value: Any) -> str:
    return repr((type(value).__name__, value))
