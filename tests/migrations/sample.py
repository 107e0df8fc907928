"""A sample package with three versions whose data changes, built like the real one.

- v1: `messages` {conversationId, body, role: user | assistant | tool, createdAt}.
- v2: `sentAt` required (backfilled from createdAt), `body` renamed to `content`, `role`
  narrowed (tool becomes assistant), `wordCount` required (a hand-written function counts
  them, and refuses a message that contains "💥"), an index on the new field.
- v3: `preview` required, backfilled from role and content (so it needs v2's rename first).

Every version has the real package's meta and migration tables and functions, and a module of
test functions (`testMessages:*`) that read and write messages of any shape the deployment's
schema accepts. `build_sample` builds each version (and the expanded ones) with the real CLI.
"""

from __future__ import annotations

from pathlib import Path

from byod.package import meta
from byod.schema import Schema, define_schema, define_table, v
from byod.schema.build import build
from byod.schema.history import History
from byod.schema.rewrites import (
    Backfill,
    Custom,
    MapValues,
    Rename,
    Rewrite,
    VersionRewrites,
    concat,
    field,
)
from byod.schema.versioning import function_sources

BOOM = "💥"
ROLES_V1 = ("user", "assistant", "tool")


def _messages(version: int) -> Schema:
    fields = {"conversationId": v.string(), "createdAt": v.number()}
    if version == 1:
        fields["body"] = v.string()
        fields["role"] = v.union(*(v.literal(r) for r in ROLES_V1))
    else:
        fields["content"] = v.string()
        fields["role"] = v.union(v.literal("user"), v.literal("assistant"))
        fields["sentAt"] = v.number()
        fields["wordCount"] = v.number()
    if version >= 3:
        fields["preview"] = v.string()
    table = define_table(fields).index("by_conversation", ["conversationId"])
    if version >= 2:
        table = table.index("by_conversation_sent", ["conversationId", "sentAt"])
    return define_schema({"messages": table, **meta.TABLES})


SCHEMAS = {version: _messages(version) for version in (1, 2, 3)}

DECLARATIONS = {
    2: VersionRewrites(
        2,
        rewrites=(
            Rewrite(
                "message-shape",
                table="messages",
                ops=[
                    Backfill("sentAt", field("createdAt")),
                    Rename("body", "content"),
                    MapValues("role", {"tool": "assistant"}),
                    Custom("countWords", covers=("wordCount",)),
                ],
            ),
        ),
        downgrade_acknowledge=("messages.sentAt", "messages.wordCount"),
    ),
    3: VersionRewrites(
        3,
        rewrites=(
            Rewrite(
                "message-preview",
                table="messages",
                ops=[Backfill("preview", concat(field("role"), ": ", field("content")))],
            ),
        ),
        downgrade_acknowledge=("messages.preview",),
    ),
}

CUSTOM_TS = """\
// The sample package's hand-written migration functions (tests/migrations/sample.py).
import type { GenericDatabaseReader, GenericDataModel } from "convex/server";
import type { GenericId, Value } from "convex/values";

export type MigrationDoc = { _id: GenericId<string>; _creationTime: number } & Record<
  string,
  Value | undefined
>;
export type MigrationPatch = Record<string, Value | undefined>;
export type CustomMigration = (
  doc: MigrationDoc,
  ctx: { db: GenericDatabaseReader<GenericDataModel> },
) => MigrationPatch | null | undefined | Promise<MigrationPatch | null | undefined>;

export const countWords: CustomMigration = (doc) => {
  const text = doc.content;
  if (typeof text !== "string") throw new Error("a message without content");
  if (text.includes("BOOM")) throw new Error(`cannot count the words of ${JSON.stringify(text)}`);
  if (doc.wordCount !== undefined) return null;
  return { wordCount: text.split(/\\s+/).filter((w) => w.length > 0).length };
};
""".replace("BOOM", BOOM)

MESSAGES_TS = """\
// Test functions of the sample package: messages of any shape the schema accepts.
import { internalMutationGeneric, internalQueryGeneric } from "convex/server";
import { type GenericId, v } from "convex/values";

export const insert = internalMutationGeneric({
  args: { doc: v.any() },
  handler: async (ctx, args) => await ctx.db.insert("messages", args.doc),
});

export const get = internalQueryGeneric({
  args: { id: v.string() },
  handler: async (ctx, args) => await ctx.db.get(args.id as GenericId<"messages">),
});

export const patch = internalMutationGeneric({
  args: { id: v.string(), fields: v.any() },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.id as GenericId<"messages">, args.fields);
    return null;
  },
});
"""


def history() -> History:
    return History({v: s.export() for v, s in SCHEMAS.items()}, DECLARATIONS)


def sources() -> dict[str, str]:
    return {
        **function_sources(),
        "convex/migrationCustom.ts": CUSTOM_TS,
        "convex/testMessages.ts": MESSAGES_TS,
    }


def build_sample(out: Path) -> Path:
    """Builds v1..v3 (and the expanded artifacts) into `out`/v<N>/; returns `out`."""
    versions = history()
    for version, schema in SCHEMAS.items():
        release = versions.release(version, sources=sources())
        build(schema, version, f"sample-{version}", release).write(out / f"v{version}")
    return out


def v1_message(i: int, *, body: str | None = None) -> dict[str, object]:
    return {
        "conversationId": f"c{i % 13}",
        "body": body if body is not None else f"message number {i} here",
        "role": ROLES_V1[i % 3],
        "createdAt": 1000 + i,
    }
