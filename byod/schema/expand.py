"""The expanded schema: one that accepts the documents of several versions at once.

A version whose data changes is deployed in three steps: push the expanded schema, run the
migrations, push the version's own schema. While the migrations run, the deployment holds
documents of the old shape, of the new shape and (after a failure midway) of both, so the
expanded schema must accept all of them:

- every table of any of the versions (a table a later version removed may still hold data);
- every field of any version; a field stays required only when every version that has the
  table requires it, otherwise it is optional (new fields, removed fields, renamed fields);
- a field's type is the union of its types in every version (old and new both allowed);
- the indexes (and search and vector indexes) of the target version, the last one given:
  its functions are the ones deployed with the expanded schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from byod.schema.rewrites import union_of


def expand_exports(exports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The export accepting every document valid under any of `exports` (oldest first; the
    last is the target, whose indexes the result keeps)."""
    if not exports:
        raise ValueError("expand_exports needs at least one export")
    target = exports[-1]
    order: list[str] = [t["tableName"] for t in target["tables"]]
    for export in reversed(exports[:-1]):
        for table in export["tables"]:
            if table["tableName"] not in order:
                order.append(table["tableName"])
    target_tables = {t["tableName"]: t for t in target["tables"]}
    tables = []
    for name in order:
        versions = [t for e in exports for t in e["tables"] if t["tableName"] == name]
        base = target_tables.get(name)
        tables.append(
            {
                "tableName": name,
                "indexes": list(base["indexes"]) if base else [],
                "stagedDbIndexes": [],
                "searchIndexes": list(base.get("searchIndexes", [])) if base else [],
                "stagedSearchIndexes": [],
                "vectorIndexes": list(base.get("vectorIndexes", [])) if base else [],
                "stagedVectorIndexes": [],
                "documentType": _document_type([t["documentType"] for t in versions]),
            }
        )
    return {
        "tables": tables,
        "schemaValidation": all(e.get("schemaValidation", True) for e in exports),
    }


def _document_type(types: list[dict[str, Any]]) -> dict[str, Any]:
    if not all(t.get("type") == "object" for t in types):
        return union_of(types)
    # Newest first, so the target's fields come first in the generated TypeScript.
    names: list[str] = []
    for document in reversed(types):
        for name in document["value"]:
            if name not in names:
                names.append(name)
    fields: dict[str, Any] = {}
    for name in names:
        specs = [t["value"].get(name) for t in types]
        present = [s for s in specs if s is not None]
        required = all(s is not None and not s["optional"] for s in specs)
        fields[name] = {
            "fieldType": union_of([s["fieldType"] for s in reversed(present)]),
            "optional": not required,
        }
    return {"type": "object", "value": fields}
