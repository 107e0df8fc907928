// Hand-written: the data migration runner, called by the control plane with the deploy key.
//
// A migration is one pass over one table applying a list of operations to each document. The
// operations are data (declared in Python, byod/package/migrations/, recorded in the build's
// manifest) and are interpreted here, so a runner can also count what a later version's
// declarative migrations would change. Like convex-helpers' makeMigration and the
// @convex-dev/migrations component: one internal mutation per batch,
// `ctx.db.query(table).paginate({cursor, numItems})`, progress in a table (byodMigrations:
// name, cursor, isDone, processed, changed, error), each document migrated idempotently.
//
//   migrations:runBatch    one batch, from the cursor saved in byodMigrations; saves the next
//   migrations:dryRunBatch the same on a page from a given cursor, as a query: writes nothing
//   migrations:count       how many documents a table holds (one page of them per call)
//   migrations:status      the saved progress of migrations, by name
//   migrations:reset       forget the saved progress of migrations, by name
//   migrations:describe    what this runner understands (operations, hand-written functions)
import {
  type GenericDatabaseReader,
  type GenericDataModel,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import { type GenericId, jsonToConvex, v, type Value } from "convex/values";
import type { MigrationDoc, MigrationPatch } from "./migrationCustom";
import { CUSTOM } from "./migrationRegistry";

export const RUNNER_VERSION = 1;
const OPERATIONS = ["backfill", "rename", "remove", "map", "custom"];
// A batch reads at most this much (half of Convex's 16 MiB per transaction): a page of large
// documents stops early instead of failing, and what it writes back stays under the limit too.
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const COUNT_PAGE = 4000;
const ERROR_LIMIT = 2000;

type Expr =
  | { field: string }
  | { value: unknown }
  | { coalesce: Expr[] }
  | { length: Expr }
  | { concat: Expr[] };

type Op =
  | { op: "backfill"; field: string; value: Expr }
  | { op: "rename"; from: string; to: string }
  | { op: "remove"; field: string }
  | { op: "map"; field: string; mapping: [unknown, unknown][] }
  | { op: "custom"; function: string };

type Reader = { db: GenericDatabaseReader<GenericDataModel> };
type Fields = Record<string, Value | undefined>;

class DocumentFailed extends Error {
  constructor(
    readonly documentId: string,
    message: string,
  ) {
    super(message);
  }
}

function evaluate(expr: Expr, doc: Fields): Value | undefined {
  if ("field" in expr) return doc[expr.field];
  if ("value" in expr) return jsonToConvex(expr.value as never);
  if ("coalesce" in expr) {
    for (const option of expr.coalesce) {
      const value = evaluate(option, doc);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  if ("length" in expr) {
    const value = evaluate(expr.length, doc);
    if (value === undefined) return undefined;
    if (typeof value === "string" || Array.isArray(value)) return value.length;
    throw new Error(`length() of a value that is neither a string nor an array`);
  }
  return expr.concat
    .map((part) => evaluate(part, doc))
    .map((value) => (value === undefined ? "" : String(value)))
    .join("");
}

// Canonical JSON of a value: object keys sorted, so field order never counts as a change.
function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ArrayBuffer) return `bytes:${Array.from(new Uint8Array(value)).join(",")}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, item]) => `${JSON.stringify(k)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// The document's fields after `ops`, or null when nothing changes.
async function migrateOne(ops: Op[], doc: MigrationDoc, ctx: Reader): Promise<Fields | null> {
  const { _id, _creationTime, ...original } = doc;
  const fields: Fields = { ...original };
  for (const op of ops) {
    switch (op.op) {
      case "backfill":
        if (fields[op.field] === undefined) {
          const value = evaluate(op.value, fields);
          if (value !== undefined) fields[op.field] = value;
        }
        break;
      case "rename":
        if (fields[op.from] !== undefined) {
          if (fields[op.to] === undefined) fields[op.to] = fields[op.from];
          delete fields[op.from];
        }
        break;
      case "remove":
        delete fields[op.field];
        break;
      case "map": {
        const current = fields[op.field];
        if (current === undefined) break;
        const key = canonical(current);
        const hit = op.mapping.find(([from]) => canonical(jsonToConvex(from as never)) === key);
        if (hit) fields[op.field] = jsonToConvex(hit[1] as never);
        break;
      }
      case "custom": {
        const fn = CUSTOM[op.function];
        if (typeof fn !== "function") {
          throw new Error(
            `the hand-written migration function ${op.function} is not in this build`,
          );
        }
        const patch: MigrationPatch | null | undefined = await fn(
          { ...fields, _id, _creationTime } as MigrationDoc,
          ctx,
        );
        for (const [name, value] of Object.entries(patch ?? {})) {
          if (name === "_id" || name === "_creationTime") continue;
          if (value === undefined) delete fields[name];
          else fields[name] = value;
        }
        break;
      }
      default:
        throw new Error(`unknown migration operation ${JSON.stringify(op)}`);
    }
  }
  for (const name of Object.keys(fields)) if (fields[name] === undefined) delete fields[name];
  return canonical(fields) === canonical(original) ? null : fields;
}

// Convex's per-transaction limits ("Too many writes in a single function execution ...") are the
// batch's fault, not a document's: they fail the whole batch, and the caller makes it smaller.
function isLimit(error: unknown): boolean {
  return error instanceof Error && /in a single function execution/.test(error.message);
}

function message(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > ERROR_LIMIT ? text.slice(0, ERROR_LIMIT - 1) + "…" : text;
}

// Every document of a page migrated in memory; the first one that throws stops the batch.
async function migratePage(ops: Op[], page: MigrationDoc[], ctx: Reader) {
  const updates: [string, Fields][] = [];
  for (const doc of page) {
    try {
      const next = await migrateOne(ops, doc, ctx);
      if (next !== null) updates.push([doc._id, next]);
    } catch (error) {
      if (isLimit(error)) throw error;
      throw new DocumentFailed(doc._id, message(error));
    }
  }
  return updates;
}

const opsArg = v.array(v.any());

export const runBatch = internalMutationGeneric({
  args: { name: v.string(), table: v.string(), ops: opsArg, batchSize: v.number() },
  handler: async (ctx, args) => {
    const ops = args.ops as Op[];
    const state = await ctx.db
      .query("byodMigrations")
      .withIndex("by_name", (q) => q.eq("name", args.name))
      .unique();
    const before = {
      processed: (state?.processed as number | undefined) ?? 0,
      changed: (state?.changed as number | undefined) ?? 0,
    };
    if (state?.isDone) {
      return { status: "done", batchProcessed: 0, batchChanged: 0, ...before };
    }
    const started = Date.now();
    const saved = {
      name: args.name,
      table: args.table,
      cursor: (state?.cursor as string | null | undefined) ?? null,
      isDone: false,
      processed: before.processed,
      changed: before.changed,
      latestStart: started,
    };
    const save = async (fields: Record<string, Value | undefined>) => {
      const row = { ...saved, ...fields, latestEnd: Date.now() };
      for (const key of Object.keys(row))
        if (row[key as keyof typeof row] === undefined) delete row[key as keyof typeof row];
      if (state === null) await ctx.db.insert("byodMigrations", row);
      else await ctx.db.replace("byodMigrations", state._id, row);
    };
    const result = await ctx.db
      .query(args.table)
      .paginate({
        cursor: saved.cursor,
        numItems: args.batchSize,
        maximumBytesRead: MAX_BATCH_BYTES,
      });
    const page = result.page as MigrationDoc[];
    let updates: [string, Fields][];
    let written = 0;
    try {
      updates = await migratePage(ops, page, ctx);
      for (const [id, fields] of updates) {
        try {
          await ctx.db.replace(
            args.table,
            id as GenericId<string>,
            fields as Record<string, Value>,
          );
        } catch (error) {
          if (isLimit(error)) throw error;
          // Documents written before this one stay migrated: each step is idempotent.
          throw new DocumentFailed(id, message(error));
        }
        written += 1;
      }
    } catch (error) {
      if (!(error instanceof DocumentFailed)) throw error;
      await save({ error: error.message, failedDocumentId: error.documentId });
      return {
        status: "failed",
        documentId: error.documentId,
        error: error.message,
        batchProcessed: 0,
        batchChanged: 0,
        written,
        ...before,
      };
    }
    const processed = before.processed + page.length;
    const changed = before.changed + updates.length;
    await save({
      cursor: result.continueCursor,
      isDone: result.isDone,
      processed,
      changed,
      error: undefined,
      failedDocumentId: undefined,
    });
    return {
      status: result.isDone ? "done" : "more",
      batchProcessed: page.length,
      batchChanged: updates.length,
      processed,
      changed,
    };
  },
});

export const dryRunBatch = internalQueryGeneric({
  args: {
    table: v.string(),
    ops: opsArg,
    batchSize: v.number(),
    cursor: v.union(v.string(), v.null()),
  },
  handler: async (ctx, args) => {
    const result = await ctx.db
      .query(args.table)
      .paginate({
        cursor: args.cursor,
        numItems: args.batchSize,
        maximumBytesRead: MAX_BATCH_BYTES,
      });
    const page = result.page as MigrationDoc[];
    try {
      const updates = await migratePage(args.ops as Op[], page, ctx);
      return {
        status: result.isDone ? "done" : "more",
        batchProcessed: page.length,
        batchChanged: updates.length,
        cursor: result.continueCursor,
      };
    } catch (error) {
      if (!(error instanceof DocumentFailed)) throw error;
      return { status: "failed", documentId: error.documentId, error: error.message };
    }
  },
});

export const count = internalQueryGeneric({
  args: { table: v.string(), cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const result = await ctx.db
      .query(args.table)
      .paginate({ cursor: args.cursor, numItems: COUNT_PAGE, maximumBytesRead: MAX_BATCH_BYTES });
    return { count: result.page.length, cursor: result.continueCursor, isDone: result.isDone };
  },
});

export const status = internalQueryGeneric({
  args: { names: v.array(v.string()) },
  handler: async (ctx, args) => {
    const rows = [];
    for (const name of args.names) {
      const row = await ctx.db
        .query("byodMigrations")
        .withIndex("by_name", (q) => q.eq("name", name))
        .unique();
      if (row !== null) {
        const { _id, _creationTime, ...fields } = row;
        rows.push(fields);
      }
    }
    return rows;
  },
});

// Forget the saved progress of these migrations (after going the other way, they must run
// again from the start).
export const reset = internalMutationGeneric({
  args: { names: v.array(v.string()) },
  handler: async (ctx, args) => {
    let removed = 0;
    for (const name of args.names) {
      const row = await ctx.db
        .query("byodMigrations")
        .withIndex("by_name", (q) => q.eq("name", name))
        .unique();
      if (row !== null) {
        await ctx.db.delete("byodMigrations", row._id);
        removed += 1;
      }
    }
    return removed;
  },
});

export const describe = internalQueryGeneric({
  args: {},
  handler: async () => ({
    runner: RUNNER_VERSION,
    operations: OPERATIONS,
    custom: Object.keys(CUSTOM).sort(),
  }),
});
