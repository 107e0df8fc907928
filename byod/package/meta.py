"""The package's own bookkeeping: which version is deployed (read and written by convex/meta.ts)."""

from __future__ import annotations

from byod.schema import define_table, v

# One row per deploy; `meta:get` reads the newest. Keeping history costs one small row a deploy
# and tells an operator what ran before.
byod_meta = define_table(
    {
        "schemaVersion": v.number(),
        "packageHash": v.string(),
        "deployedAt": v.number(),
    }
).index("by_deployed_at", ["deployedAt"])

TABLES = {"byodMeta": byod_meta}
