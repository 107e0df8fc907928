"""Diff two schema exports and classify each change.

safe: additive (new table, index, optional field; a widened type).
needs_migration: existing documents may not match (new required field, narrowed type).
destructive: something is removed (table, field or index) and its data or index goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SAFE, NEEDS_MIGRATION, DESTRUCTIVE = "safe", "needs_migration", "destructive"
INDEX_KINDS = (
    ("indexes", "index"),
    ("searchIndexes", "search index"),
    ("vectorIndexes", "vector index"),
)


@dataclass(frozen=True)
class Change:
    """One difference: what (`kind`), where (`table`, `name`) and how risky (`classification`)."""

    kind: str  # e.g. table_added, field_removed, index_changed
    table: str
    name: str | None
    classification: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "table": self.table,
            "name": self.name,
            "classification": self.classification,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"[{self.classification}] {self.message}"


EMPTY_EXPORT: dict[str, Any] = {"tables": [], "schemaValidation": True}


def diff_exports(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes from export `old` to export `new` (both as `Schema.export()` returns them)."""
    changes: list[Change] = []
    old_tables = {t["tableName"]: t for t in old["tables"]}
    new_tables = {t["tableName"]: t for t in new["tables"]}
    for name in new_tables.keys() - old_tables.keys():
        changes.append(Change("table_added", name, None, SAFE, f"table {name} added"))
    for name in old_tables.keys() - new_tables.keys():
        changes.append(
            Change("table_removed", name, None, DESTRUCTIVE, f"table {name} removed with its data")
        )
    for name in sorted(old_tables.keys() & new_tables.keys()):
        changes += _diff_table(name, old_tables[name], new_tables[name])
    if old["schemaValidation"] != new["schemaValidation"]:
        turned_on = new["schemaValidation"]
        changes.append(
            Change(
                "schema_validation_changed",
                "",
                None,
                NEEDS_MIGRATION if turned_on else SAFE,
                f"schemaValidation turned {'on' if turned_on else 'off'}",
            )
        )
    order = {SAFE: 2, NEEDS_MIGRATION: 1, DESTRUCTIVE: 0}
    return sorted(changes, key=lambda c: (order[c.classification], c.table, c.name or ""))


def summary(changes: list[Change]) -> dict[str, Any]:
    """Counts per classification plus the changes, JSON-ready (for a Deployment's diff_summary)."""
    counts = {SAFE: 0, NEEDS_MIGRATION: 0, DESTRUCTIVE: 0}
    for change in changes:
        counts[change.classification] += 1
    return {"counts": counts, "changes": [c.as_dict() for c in changes]}


def _diff_table(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    old_fields = _fields(old["documentType"])
    new_fields = _fields(new["documentType"])
    if old_fields is None or new_fields is None:
        if old["documentType"] != new["documentType"]:
            widened = accepts(new["documentType"], old["documentType"])
            changes.append(
                Change(
                    "document_type_changed",
                    name,
                    None,
                    SAFE if widened else NEEDS_MIGRATION,
                    f"{name}: document type changed",
                )
            )
    else:
        for field in new_fields.keys() - old_fields.keys():
            optional = new_fields[field]["optional"]
            changes.append(
                Change(
                    "field_added",
                    name,
                    field,
                    SAFE if optional else NEEDS_MIGRATION,
                    f"{name}.{field} added ({'optional' if optional else 'required: backfill it'})",
                )
            )
        for field in old_fields.keys() - new_fields.keys():
            changes.append(
                Change("field_removed", name, field, DESTRUCTIVE, f"{name}.{field} removed")
            )
        for field in sorted(old_fields.keys() & new_fields.keys()):
            before, after = old_fields[field], new_fields[field]
            if before == after:
                continue
            widened = accepts(after["fieldType"], before["fieldType"]) and (
                after["optional"] or not before["optional"]
            )
            if before["fieldType"] == after["fieldType"]:
                how = "now optional" if widened else "now required (was optional): backfill it"
            else:
                how = f"type {'widened' if widened else 'narrowed or changed'}"
            changes.append(
                Change(
                    "field_changed",
                    name,
                    field,
                    SAFE if widened else NEEDS_MIGRATION,
                    f"{name}.{field} {how}",
                )
            )
    for key, label in INDEX_KINDS:
        before_idx = {i["indexDescriptor"]: i for i in old.get(key, [])}
        after_idx = {i["indexDescriptor"]: i for i in new.get(key, [])}
        for index in after_idx.keys() - before_idx.keys():
            changes.append(
                Change(f"{key}_added", name, index, SAFE, f"{name}: {label} {index} added")
            )
        for index in before_idx.keys() - after_idx.keys():
            changes.append(
                Change(
                    f"{key}_removed", name, index, DESTRUCTIVE, f"{name}: {label} {index} removed"
                )
            )
        for index in sorted(before_idx.keys() & after_idx.keys()):
            if before_idx[index] != after_idx[index]:
                changes.append(
                    Change(
                        f"{key}_changed",
                        name,
                        index,
                        DESTRUCTIVE,
                        f"{name}: {label} {index} redefined (dropped and rebuilt)",
                    )
                )
    return changes


def _fields(document_type: dict[str, Any]) -> dict[str, Any] | None:
    if document_type.get("type") == "object":
        fields: dict[str, Any] = document_type["value"]
        return fields
    return None


def accepts(wide: dict[str, Any], narrow: dict[str, Any]) -> bool:
    """True when every value valid for validator JSON `narrow` is valid for `wide`."""
    if wide == narrow or wide.get("type") == "any":
        return True
    if narrow.get("type") == "union":
        return all(accepts(wide, member) for member in narrow["value"])
    if wide.get("type") == "union":
        return any(accepts(member, narrow) for member in wide["value"])
    if narrow.get("type") == "literal" and wide.get("type") in ("string", "number", "boolean"):
        value = narrow["value"]
        kinds: dict[str, type | tuple[type, ...]] = {
            "string": str,
            "boolean": bool,
            "number": (int, float),
        }
        return isinstance(value, kinds[wide["type"]]) and not (
            wide["type"] == "number" and isinstance(value, bool)
        )
    if wide.get("type") == "array" and narrow.get("type") == "array":
        return accepts(wide["value"], narrow["value"])
    if wide.get("type") == "object" and narrow.get("type") == "object":
        w: dict[str, Any] = wide["value"]
        n: dict[str, Any] = narrow["value"]
        for key, spec in w.items():
            if key not in n:
                if not spec["optional"]:
                    return False
                continue
            if not accepts(spec["fieldType"], n[key]["fieldType"]):
                return False
            if n[key]["optional"] and not spec["optional"]:
                return False
        return n.keys() <= w.keys()
    if wide.get("type") == "record" and narrow.get("type") == "record":
        return accepts(wide["keys"], narrow["keys"]) and accepts(
            wide["values"]["fieldType"], narrow["values"]["fieldType"]
        )
    return False
