// Hand-written: what every generated data function (convex/data/<table>.ts) shares.
// The control plane calls them with the deploy key (they are internal: never reachable from the
// internet) and names the user in `owner`, their stable external id. Every function is scoped by
// owner: a document of another owner is "not found", never returned or changed, including
// through a parent (toolCalls -> messages -> userId). Every mutation is idempotent by the
// caller's operation id (byodOperations), since HTTP mutations are not deduplicated.
// Expected failures are ConvexError({ code, message }) with code not_found, invalid_argument or
// too_large; the Python client maps the code to its category.
import {
  internalMutationGeneric,
  internalQueryGeneric,
  paginationOptsValidator,
  type GenericDatabaseReader,
  type GenericDatabaseWriter,
  type GenericDocument,
} from "convex/server";
import { ConvexError, v, type GenericId } from "convex/values";

/** One step towards the owner: `table.field` points to a `parent` document, or holds the
 * owner's external id (the last step, `parent` null). */
export type Step = { table: string; field: string; parent: string | null };
/** A table removed with its parent: its required reference `field`, served by `index`. */
export type Child = { table: string; field: string; index: string; children: Child[] };
/** What the codegen knows of one owned table (byod/schema/data_functions.py). */
export type TableSpec = {
  table: string;
  kind: "field" | "parent";
  chain: Step[];
  indexes: Record<string, string[]>;
  searchIndexes: Record<string, { searchField: string; filterFields: string[] }>;
  references: Record<string, { table: string; chain: Step[] }>;
  children: Child[];
};

type Reader = GenericDatabaseReader<any>;
type Writer = GenericDatabaseWriter<any>;
type Fields = Record<string, any>;
type Owned = GenericDocument & { _id: GenericId<string> };

const OPERATIONS = "byodOperations";
const OPERATION_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_PER_CALL = 16;
const MAX_ID_LENGTH = 256;
const MAX_PAGE_ITEMS = 1024;
const MAX_SEARCH_RESULTS = 100;
// A transaction may write 16,000 documents and run 4,096 index ranges: a remove stays well
// below both and says whether it is done; the caller repeats with a new operation id.
export const MAX_REMOVED = 1000;
const MAX_REMOVE_QUERIES = 2000;
const REMOVE_BATCH = 256;

export type Code = "not_found" | "invalid_argument" | "too_large";

export function fail(code: Code, message: string): never {
  throw new ConvexError({ code, message });
}

function has(object: Fields, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function asFields(value: unknown, what: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("invalid_argument", `${what} must be an object`);
  }
  if (value instanceof ArrayBuffer) {
    fail("invalid_argument", `${what} must be an object`);
  }
  return value as Fields;
}

function checkText(value: string, what: string): void {
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    fail("invalid_argument", `${what} must be 1 to ${MAX_ID_LENGTH} characters`);
  }
}

function ownerField(spec: TableSpec): string {
  return spec.chain[0].field;
}

/** Whether `doc` (of the chain's first table) belongs to `owner`, following parents. */
async function ownedBy(db: Reader, chain: Step[], doc: GenericDocument, owner: string) {
  let current: GenericDocument | null = doc;
  for (const step of chain) {
    if (current === null) {
      return false;
    }
    const value: unknown = current[step.field];
    if (step.parent === null) {
      return value === owner;
    }
    if (typeof value !== "string") {
      return false;
    }
    const parentId = db.normalizeId(step.parent, value);
    current = parentId === null ? null : await db.get(parentId);
  }
  return false;
}

/** The document `id` of `table` when it is the owner's; null when absent, malformed, of
 * another table or of another owner (all look the same to the caller). */
export async function loadOwned(
  db: Reader,
  table: string,
  chain: Step[],
  id: unknown,
  owner: string,
): Promise<Owned | null> {
  if (typeof id !== "string") {
    return null;
  }
  const normalized = db.normalizeId(table, id);
  const doc = normalized === null ? null : await db.get(normalized);
  return doc !== null && (await ownedBy(db, chain, doc, owner)) ? (doc as Owned) : null;
}

/** Every reference in `fields` to an owned table must point to the owner's document. */
async function checkReferences(db: Reader, spec: TableSpec, fields: Fields, owner: string) {
  for (const [field, target] of Object.entries(spec.references)) {
    const value: unknown = fields[field];
    if (value === undefined || value === null) {
      continue;
    }
    if ((await loadOwned(db, target.table, target.chain, value, owner)) === null) {
      fail("not_found", `${field}: no ${target.table} document ${String(value)}`);
    }
  }
}

function checkSystemFields(fields: Fields, what: string): void {
  for (const key of Object.keys(fields)) {
    if (key.startsWith("_")) {
      fail("invalid_argument", `${what}: ${key} is a system field`);
    }
  }
}

/** Runs `work` once per operation id: a repeated call returns the stored result and writes
 * nothing. A failed call stores nothing (its transaction is rolled back), so it may be retried. */
async function once<T>(db: Writer, owner: string, opId: string, work: () => Promise<T>) {
  checkText(owner, "owner");
  checkText(opId, "opId");
  const previous = await db
    .query(OPERATIONS)
    .withIndex("by_op", (q: any) => q.eq("opId", opId))
    .first();
  if (previous !== null) {
    if (previous.owner !== owner) {
      fail("invalid_argument", "opId: this operation id was used for another owner");
    }
    return previous.result as T;
  }
  const result = await work();
  const now = Date.now();
  await db.insert(OPERATIONS, { opId, owner, result, expiresAt: now + OPERATION_TTL_MS });
  const expired = await db
    .query(OPERATIONS)
    .withIndex("by_expires", (q: any) => q.lt("expiresAt", now))
    .take(PURGE_PER_CALL);
  for (const record of expired) {
    await db.delete(record._id);
  }
  return result;
}

/** The equality value of an index's first field: the owner, or an owner's parent document. */
async function anchor(db: Reader, spec: TableSpec, fields: string[], eq: Fields, owner: string) {
  const first = fields[0];
  if (spec.kind === "field" && first === ownerField(spec)) {
    if (has(eq, first) && eq[first] !== owner) {
      fail("invalid_argument", `eq: ${first} is the owner's, set by the function`);
    }
    return { value: owner, filterOwner: false };
  }
  const target = spec.references[first];
  if (target === undefined || (spec.kind === "parent" && first !== ownerField(spec))) {
    fail("invalid_argument", `index: cannot be scoped by owner (it starts with ${first})`);
  }
  if (!has(eq, first)) {
    fail("invalid_argument", `eq: must hold ${first}`);
  }
  const parent = await loadOwned(db, target.table, target.chain, eq[first], owner);
  if (parent === null) {
    fail("not_found", `${first}: no ${target.table} document ${String(eq[first])}`);
  }
  // Documents under an owner's parent are the owner's (the functions refuse references to
  // another owner's documents); the filter keeps that true for data written otherwise.
  return { value: parent._id, filterOwner: spec.kind === "field" };
}

const RANGE_BOUNDS = ["gt", "gte", "lt", "lte"];

function rangeOf(raw: unknown, next: string | undefined): Fields | null {
  if (raw === undefined || raw === null) {
    return null;
  }
  const range = asFields(raw, "range");
  if (next === undefined || range.field !== next) {
    fail("invalid_argument", `range: must be on ${next ?? "no field (the index is used up)"}`);
  }
  for (const key of Object.keys(range)) {
    if (key !== "field" && !RANGE_BOUNDS.includes(key)) {
      fail("invalid_argument", `range: unknown bound ${key}`);
    }
  }
  if ((has(range, "gt") && has(range, "gte")) || (has(range, "lt") && has(range, "lte"))) {
    fail("invalid_argument", "range: at most one lower and one upper bound");
  }
  return range;
}

export function getFunction(spec: TableSpec) {
  return internalQueryGeneric({
    args: { owner: v.string(), id: v.string() },
    handler: async (ctx, { owner, id }) => {
      checkText(owner, "owner");
      return await loadOwned(ctx.db, spec.table, spec.chain, id, owner);
    },
  });
}

export function pageFunction(spec: TableSpec) {
  return internalQueryGeneric({
    args: {
      owner: v.string(),
      index: v.string(),
      eq: v.any(),
      range: v.optional(v.any()),
      order: v.union(v.literal("asc"), v.literal("desc")),
      paginationOpts: paginationOptsValidator,
    },
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      const fields = has(spec.indexes, args.index) ? spec.indexes[args.index] : undefined;
      if (fields === undefined) {
        fail("invalid_argument", `index: ${spec.table} has no index ${args.index}`);
      }
      if (args.paginationOpts.numItems > MAX_PAGE_ITEMS) {
        fail("too_large", `paginationOpts: at most ${MAX_PAGE_ITEMS} items a page`);
      }
      const eq = asFields(args.eq ?? {}, "eq");
      const first = await anchor(ctx.db, spec, fields, eq, args.owner);
      const rest = fields.slice(1);
      let prefix = 0;
      while (prefix < rest.length && has(eq, rest[prefix])) {
        prefix += 1;
      }
      const named = Object.keys(eq).filter((key) => key !== fields[0]);
      if (named.length !== prefix) {
        fail("invalid_argument", `eq: must name a prefix of ${rest.join(", ")}`);
      }
      const range = rangeOf(args.range, rest[prefix]);
      let query = ctx.db
        .query(spec.table)
        .withIndex(args.index, (q: any) => {
          let r = q.eq(fields[0], first.value);
          for (const field of rest.slice(0, prefix)) {
            r = r.eq(field, eq[field]);
          }
          if (range !== null) {
            for (const bound of RANGE_BOUNDS) {
              if (has(range, bound)) {
                r = r[bound](range.field, range[bound]);
              }
            }
          }
          return r;
        })
        .order(args.order);
      if (first.filterOwner) {
        query = query.filter((q: any) => q.eq(q.field(ownerField(spec)), args.owner));
      }
      const { page, isDone, continueCursor } = await query.paginate(args.paginationOpts);
      return { page, isDone, continueCursor };
    },
  });
}

export function searchFunction(spec: TableSpec) {
  return internalQueryGeneric({
    args: {
      owner: v.string(),
      index: v.string(),
      query: v.string(),
      eq: v.optional(v.any()),
      limit: v.number(),
    },
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      const index = has(spec.searchIndexes, args.index) ? spec.searchIndexes[args.index] : null;
      if (index === null) {
        fail("invalid_argument", `index: ${spec.table} has no search index ${args.index}`);
      }
      if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_SEARCH_RESULTS) {
        fail("invalid_argument", `limit: 1 to ${MAX_SEARCH_RESULTS}`);
      }
      const eq = { ...asFields(args.eq ?? {}, "eq") };
      const own = ownerField(spec);
      for (const key of Object.keys(eq)) {
        if (!index.filterFields.includes(key)) {
          fail("invalid_argument", `eq: ${key} is not a filter field of ${args.index}`);
        }
      }
      if (spec.kind === "field") {
        if (has(eq, own) && eq[own] !== args.owner) {
          fail("invalid_argument", `eq: ${own} is the owner's, set by the function`);
        }
        eq[own] = args.owner;
      } else {
        const target = spec.references[own];
        const parent = await loadOwned(ctx.db, target.table, target.chain, eq[own], args.owner);
        if (parent === null) {
          fail("not_found", `${own}: no ${target.table} document ${String(eq[own])}`);
        }
        eq[own] = parent._id;
      }
      return await ctx.db
        .query(spec.table)
        .withSearchIndex(args.index, (q: any) => {
          let s = q.search(index.searchField, args.query);
          for (const [key, value] of Object.entries(eq)) {
            s = s.eq(key, value);
          }
          return s;
        })
        .take(args.limit);
    },
  });
}

export function insertFunction(spec: TableSpec) {
  return internalMutationGeneric({
    args: { owner: v.string(), opId: v.string(), doc: v.any() },
    handler: async (ctx, args) =>
      await once(ctx.db, args.owner, args.opId, async () => {
        const doc = { ...asFields(args.doc, "doc") };
        checkSystemFields(doc, "doc");
        const own = ownerField(spec);
        if (spec.kind === "field") {
          if (has(doc, own) && doc[own] !== args.owner) {
            fail("invalid_argument", `doc: ${own} names another owner`);
          }
          doc[own] = args.owner;
        } else if (doc[own] === undefined || doc[own] === null) {
          fail("invalid_argument", `doc: ${own} is required`);
        }
        await checkReferences(ctx.db, spec, doc, args.owner);
        return { id: await ctx.db.insert(spec.table, doc) };
      }),
  });
}

export function patchFunction(spec: TableSpec) {
  return internalMutationGeneric({
    args: {
      owner: v.string(),
      opId: v.string(),
      id: v.string(),
      fields: v.any(),
      unset: v.optional(v.array(v.string())),
    },
    handler: async (ctx, args) =>
      await once(ctx.db, args.owner, args.opId, async () => {
        const doc = await loadOwned(ctx.db, spec.table, spec.chain, args.id, args.owner);
        if (doc === null) {
          fail("not_found", `no ${spec.table} document ${args.id}`);
        }
        const fields: Fields = { ...asFields(args.fields, "fields") };
        checkSystemFields(fields, "fields");
        const own = ownerField(spec);
        if (spec.kind === "field" && has(fields, own) && fields[own] !== args.owner) {
          fail("invalid_argument", `fields: ${own} (the owner) cannot change`);
        }
        for (const name of args.unset ?? []) {
          if (name.startsWith("_") || name === own || has(fields, name)) {
            fail("invalid_argument", `unset: ${name} cannot be removed here`);
          }
          fields[name] = undefined;
        }
        await checkReferences(ctx.db, spec, fields, args.owner);
        await ctx.db.patch(doc._id, fields);
        return { id: doc._id };
      }),
  });
}

/** Removes `id`'s children (recursively), then `id`, within `budget`; false when the budget
 * ran out first (the rest is left for the next call). */
async function removeTree(db: Writer, children: Child[], id: GenericId<string>, budget: Fields) {
  for (const child of children) {
    for (;;) {
      if (budget.documents <= 0 || budget.queries <= 0) {
        return false;
      }
      budget.queries -= 1;
      const wanted = Math.min(budget.documents, REMOVE_BATCH);
      const batch = await db
        .query(child.table)
        .withIndex(child.index, (q: any) => q.eq(child.field, id))
        .take(wanted);
      for (const row of batch) {
        if (!(await removeTree(db, child.children, row._id, budget))) {
          return false;
        }
      }
      if (batch.length < wanted) {
        break;
      }
    }
  }
  if (budget.documents <= 0) {
    return false;
  }
  await db.delete(id);
  budget.documents -= 1;
  return true;
}

export function removeFunction(spec: TableSpec) {
  return internalMutationGeneric({
    args: { owner: v.string(), opId: v.string(), id: v.string() },
    handler: async (ctx, args) =>
      await once(ctx.db, args.owner, args.opId, async () => {
        const doc = await loadOwned(ctx.db, spec.table, spec.chain, args.id, args.owner);
        if (doc === null) {
          fail("not_found", `no ${spec.table} document ${args.id}`);
        }
        const budget = { documents: MAX_REMOVED, queries: MAX_REMOVE_QUERIES };
        const done = await removeTree(ctx.db, spec.children, doc._id, budget);
        return { done, removed: MAX_REMOVED - budget.documents };
      }),
  });
}
