"""The package's own bookkeeping: which version is deployed (convex/meta.ts) and the progress of
data migrations (convex/migrations.ts), and the id map of moves (convex/moves.ts)."""

from __future__ import annotations

from byod.schema import define_table, v

# One row per deploy; `meta:get` reads the newest. Keeping history costs one small row a deploy
# and tells an operator what ran before.
byod_meta = (
    define_table(
        {
            "schemaVersion": v.number(),
            "packageHash": v.string(),
            "deployedAt": v.number(),
        }
    )
    .index("by_deployed_at", ["deployedAt"])
    .package_internal()
)

# One row per migration, by name (`v<version>:<id>`), as @convex-dev/migrations keeps it: where
# its next batch starts, whether it is done, how many documents it read and changed, and the
# error that stopped it (with the document), if one did.
byod_migrations = (
    define_table(
        {
            "name": v.string(),
            "table": v.string(),
            "cursor": v.union(v.string(), v.null()),
            "isDone": v.boolean(),
            "processed": v.number(),
            "changed": v.number(),
            "latestStart": v.number(),
            "latestEnd": v.optional(v.number()),
            "error": v.optional(v.string()),
            "failedDocumentId": v.optional(v.string()),
        }
    )
    .index("by_name", ["name"])
    .package_internal()
)

# One row per data-function mutation, by the caller's operation id: a retried call (after a
# lost answer; HTTP mutations are not deduplicated) returns `result` and writes nothing. Kept
# 24 hours; each mutation purges a few expired rows (convex/dataLib.ts).
byod_operations = (
    define_table(
        {
            "opId": v.string(),
            "owner": v.string(),
            "result": v.any(),
            "expiresAt": v.number(),
        }
    )
    .index("by_op", ["opId"])
    .index("by_expires", ["expiresAt"])
    .package_internal()
)

# One row per document a move copied into this deployment (convex/moves.ts): the source's id
# and ours, so a batch sent twice writes nothing twice, references are remapped, and digests
# read our documents back as the source's. `pending` holds references whose targets were not
# copied yet (self references); removed by `moves:forget` when the move is over.
byod_id_map = (
    define_table(
        {
            "moveId": v.string(),
            "owner": v.string(),
            "table": v.string(),
            "oldId": v.string(),
            "newId": v.string(),
            "pending": v.optional(v.any()),
        }
    )
    .index("by_move_table_old", ["moveId", "table", "oldId"])
    .index("by_move_new", ["moveId", "newId"])
    .package_internal()
)

TABLES = {
    "byodMeta": byod_meta,
    "byodMigrations": byod_migrations,
    "byodOperations": byod_operations,
    "byodIdMap": byod_id_map,
}
