// Hand-written: the functions that move one owner's documents between two deployments
// (exportPage, importBatch, fixReferences, removeBatch, foreign), built per table by the
// generated convex/data/<table>.ts. The control plane reads pages on the source and writes
// batches on the destination; the destination's id map (byodIdMap, convex/moves.ts) says what
// is already copied, so a batch sent twice writes nothing twice. Documents inserted by a
// function get new ids: references are remapped through the map (parents are copied first);
// a reference whose target is not copied yet (a self reference such as
// messages.parentMessageId) is left out and recorded on the map row, and fixReferences sets it
// once every document of the move is there.
import { internalMutationGeneric, internalQueryGeneric } from "convex/server";
import { v, type GenericId } from "convex/values";
import {
  asFields,
  checkText,
  fail,
  loadOwned,
  once,
  ownerField,
  type Fields,
  type Owned,
  type Reader,
  type TableSpec,
} from "./dataLib";
import { ID_MAP, alreadyCopied, mappedNew, mappedOld } from "./moves";

// A page reads at most this many documents (and a parent-owned table's page MAX_PARENTS
// index ranges, plus a read per reference of each document it returns: ~2,500 with 1,000
// documents): below a transaction's 32,000 documents and 4,096 ranges. A page over them is
// asked again smaller by the caller.
export const MAX_MOVE_ITEMS = 1000;
const MAX_PARENTS = 1500;
const PARENTS_AHEAD = 500;
const READS_PER_ITEM = 4;

/** How the owner's documents of a table are found: a field-owned table through its owner
 * index; a parent-owned one through the parent's index on exactly the owner field, then
 * each parent's children through `index` (both in creation order). `required`: the
 * required reference fields, whose targets must be copied before (never left for later). */
export type MoveSpec = { index: string; parentIndex: string | null; required: string[] };

/** Where a parent-owned table's page goes on: the parent under way (null: the next one) and
 * the creation time reached among the parents and among its children, with the ids already
 * taken at that time (creation times are unique within a table in practice; the ids make an
 * equal one safe anyway). */
type Cursor = {
  parent: GenericId<string> | null;
  parentTime: number;
  parentSeen: string[];
  childTime: number;
  childSeen: string[];
};

const START: Cursor = { parent: null, parentTime: -1, parentSeen: [], childTime: -1, childSeen: [] };

/** A page of what one move wrote here: its owner, its id, where to go on, how many. */
const MOVE_PAGE_ARGS = {
  owner: v.string(),
  moveId: v.string(),
  cursor: v.union(v.string(), v.null()),
  numItems: v.number(),
};

function numItemsOf(numItems: number): number {
  if (!Number.isInteger(numItems) || numItems < 1 || numItems > MAX_MOVE_ITEMS) {
    fail("invalid_argument", `numItems: 1 to ${MAX_MOVE_ITEMS}`);
  }
  return numItems;
}

function parseCursor(raw: string | null): Cursor {
  if (raw === null) {
    return START;
  }
  try {
    const c = JSON.parse(raw);
    const ids = (x: unknown) => Array.isArray(x) && x.every((i) => typeof i === "string");
    if (
      typeof c.parentTime === "number" &&
      typeof c.childTime === "number" &&
      ids(c.parentSeen) &&
      ids(c.childSeen) &&
      (c.parent === null || typeof c.parent === "string")
    ) {
      return c as Cursor;
    }
  } catch {
    // refused below
  }
  fail("invalid_argument", "cursor: not a cursor of this function");
}

/** The documents of an index range from creation time `time` on, without those in `seen`
 * (taken before at that very time); `more` says whether the range may hold others. */
async function after(query: any, time: number, seen: string[], limit: number) {
  const wanted = limit + seen.length;
  const got: Owned[] = await query((q: any) => q.gte("_creationTime", time)).take(wanted);
  const fresh = got.filter((d) => !seen.includes(d._id));
  return { docs: fresh.slice(0, limit), more: got.length === wanted || fresh.length > limit };
}

/** The ids among `docs` (in creation order) at the last one's creation time, with `seen` when
 * that time is still `time`. */
function seenAt(docs: Owned[], time: number, seen: string[]) {
  const last = docs[docs.length - 1]._creationTime as number;
  const at = docs.filter((d) => d._creationTime === last).map((d) => d._id as string);
  return { time: last, seen: last === time ? [...seen, ...at] : at };
}

/** Up to `numItems` of the owner's documents of a parent-owned table after `cursor`, walking
 * the owner's parents in creation order and each one's children in creation order.
 * `onParent` is told each parent this call read (the owner's, found by the owner index). */
async function childPage(db: Reader, spec: TableSpec, move: MoveSpec, owner: string, c: Cursor,
  numItems: number, onParent?: (id: string) => void) {
  const [link, top] = spec.chain;
  const page: Owned[] = [];
  let ranges = 0;
  let cursor = c;
  let parents: Owned[] = []; // the next parents, read ahead
  // Parents without children cost reads too: a page stops after reading a few times what it
  // returns (the caller goes on from the cursor), so a smaller page always reads less.
  let read = 0;
  while (page.length < numItems && ranges < MAX_PARENTS && read < READS_PER_ITEM * numItems) {
    if (cursor.parent === null) {
      if (parents.length === 0) {
        ranges += 1;
        const range = (r: any) =>
          db.query(link.parent as string).withIndex(move.parentIndex as string, (q: any) =>
            r(q.eq(top.field, owner)));
        const ahead = Math.min(PARENTS_AHEAD, numItems);
        parents = (await after(range, cursor.parentTime, cursor.parentSeen, ahead)).docs;
        read += parents.length;
        if (parents.length === 0) {
          return { page, isDone: true, continueCursor: JSON.stringify(cursor) };
        }
      }
      const next = parents.shift() as Owned;
      onParent?.(next._id as string);
      const at = seenAt([next], cursor.parentTime, cursor.parentSeen);
      cursor = { ...START, parent: next._id, parentTime: at.time, parentSeen: at.seen };
    }
    ranges += 1;
    const wanted = numItems - page.length;
    const parent = cursor.parent;
    const range = (r: any) =>
      db.query(spec.table).withIndex(move.index, (q: any) => r(q.eq(link.field, parent)));
    const { docs, more } = await after(range, cursor.childTime, cursor.childSeen, wanted);
    page.push(...docs);
    read += docs.length;
    if (!more) {
      cursor = { ...cursor, parent: null, childTime: -1, childSeen: [] };
    } else {
      const at = seenAt(docs, cursor.childTime, cursor.childSeen);
      cursor = { ...cursor, childTime: at.time, childSeen: at.seen };
    }
  }
  return { page, isDone: false, continueCursor: JSON.stringify(cursor) };
}

async function ownerPage(db: Reader, spec: TableSpec, move: MoveSpec, owner: string,
  cursor: string | null, numItems: number, onParent?: (id: string) => void) {
  if (spec.kind === "field") {
    const { page, isDone, continueCursor } = await db
      .query(spec.table)
      .withIndex(move.index, (q: any) => q.eq(ownerField(spec), owner))
      .paginate({ cursor, numItems });
    return { page: page as Owned[], isDone, continueCursor };
  }
  return await childPage(db, spec, move, owner, parseCursor(cursor), numItems, onParent);
}

/** What one call has already looked up, by table and id: a page's documents often point at the
 * same few (a conversation's messages at their conversation) or at each other (a reply at the
 * message before it), so each is read once per call. Only within one call: nothing outlives
 * its transaction. */
class Known<T> {
  private seen = new Map<string, T>();

  async get(table: string, id: string, find: () => Promise<T>): Promise<T> {
    const key = `${table}\n${id}`;
    if (this.seen.has(key)) {
      return this.seen.get(key) as T;
    }
    const found = await find();
    this.seen.set(key, found);
    return found;
  }

  set(table: string, id: string, value: T): void {
    this.seen.set(`${table}\n${id}`, value);
  }
}

/** A destination document with its references written as the source's ids (through the
 * move's map; one not in the map stays as it is, so a digest shows it). Its own id is left:
 * digests leave ids out. */
async function asSource(db: Reader, spec: TableSpec, moveId: string, doc: Owned,
  known: Known<string | null>) {
  const out: Fields = { ...doc };
  for (const [field, target] of Object.entries(spec.references)) {
    const value = doc[field];
    if (typeof value === "string") {
      const old = await known.get(target.table, value, () => mappedOld(db, moveId, value));
      out[field] = old ?? value;
    }
  }
  return out;
}

/** A source document without its references to nothing (a target removed since; Convex keeps
 * such ids) or to another owner's document: a move copies neither, and a digest of either
 * side leaves them out alike. */
async function withoutDangling(db: Reader, spec: TableSpec, owner: string, doc: Owned,
  known: Known<boolean>) {
  let out: Fields | null = null;
  for (const [field, target] of Object.entries(spec.references)) {
    const value = doc[field];
    if (value === undefined || value === null) {
      continue;
    }
    const owned = await known.get(target.table, String(value), async () =>
      (await loadOwned(db, target.table, target.chain, value, owner)) !== null);
    if (!owned) {
      out = out ?? { ...doc };
      delete out[field];
    }
  }
  return out ?? doc;
}

export function exportPageFunction(spec: TableSpec, move: MoveSpec) {
  return internalQueryGeneric({
    args: {
      owner: v.string(),
      cursor: v.union(v.string(), v.null()),
      numItems: v.number(),
      countOnly: v.optional(v.boolean()),
    },
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      const numItems = numItemsOf(args.numItems);
      // The page's own documents and the parents it walked are the owner's, there.
      const owned = new Known<boolean>();
      const parent = spec.chain[0].parent;
      const walked = parent === null ? undefined : (id: string) => owned.set(parent, id, true);
      const { page, isDone, continueCursor } = await ownerPage(
        ctx.db, spec, move, args.owner, args.cursor, numItems, walked);
      if (args.countOnly) {
        return { page: [], count: page.length, isDone, continueCursor };
      }
      const docs = [];
      for (const doc of page) {
        owned.set(spec.table, doc._id as string, true);
      }
      for (const doc of page) {
        docs.push(await withoutDangling(ctx.db, spec, args.owner, doc, owned));
      }
      return { page: docs, count: docs.length, isDone, continueCursor };
    },
  });
}

/** The documents a move copied here, a page of the move's id map at a time (in the order of
 * the source's ids), each written as on the source (`asSource`): what verification reads back.
 * A map row whose copy is gone is counted in `missing` (verification then fails). The id map
 * is written in the same transaction as each copy, and the destination held none of the
 * owner's documents when the copy began (the job clears them first), so these are all of the
 * owner's documents here: found without walking a parent-owned table's parents. */
export function copiesPageFunction(spec: TableSpec) {
  return internalQueryGeneric({
    args: MOVE_PAGE_ARGS,
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      checkText(args.moveId, "moveId");
      const numItems = numItemsOf(args.numItems);
      const { page: rows, isDone, continueCursor } = await ctx.db
        .query(ID_MAP)
        .withIndex("by_move_table_old", (q: any) =>
          q.eq("moveId", args.moveId).eq("table", spec.table),
        )
        .paginate({ cursor: args.cursor, numItems });
      const old = new Known<string | null>();
      const copies: Owned[] = [];
      let missing = 0;
      for (const row of rows) {
        const id = row.owner === args.owner ? ctx.db.normalizeId(spec.table, row.newId) : null;
        const copy = id === null ? null : await ctx.db.get(id);
        if (copy === null) {
          missing += 1;
          continue;
        }
        old.set(spec.table, row.newId as string, row.oldId as string); // the page's own
        copies.push(copy as Owned);
      }
      const docs = [];
      for (const copy of copies) {
        docs.push(await asSource(ctx.db, spec, args.moveId, copy, old));
      }
      return { page: docs, count: docs.length, missing, isDone, continueCursor };
    },
  });
}

export function importBatchFunction(spec: TableSpec, move: MoveSpec) {
  return internalMutationGeneric({
    args: { owner: v.string(), opId: v.string(), moveId: v.string(), docs: v.array(v.any()) },
    handler: async (ctx, args) =>
      await once(ctx.db, args.owner, args.opId, async () => {
        checkText(args.moveId, "moveId");
        if (args.docs.length > MAX_MOVE_ITEMS) {
          fail("too_large", `docs: at most ${MAX_MOVE_ITEMS} a batch`);
        }
        const own = ownerField(spec);
        const copies = new Known<string | null>(); // source id -> its copy here, this call
        let written = 0;
        let skipped = 0;
        for (const raw of args.docs) {
          const { _id: oldId, _creationTime, ...doc } = asFields(raw, "docs[]");
          if (typeof oldId !== "string") {
            fail("invalid_argument", "docs[]._id: the source's id is required");
          }
          checkText(oldId, "docs[]._id");
          if (await alreadyCopied(ctx.db, args.owner, args.moveId, spec.table, oldId)) {
            skipped += 1;
            continue;
          }
          if (spec.kind === "field" && doc[own] !== args.owner) {
            fail("invalid_argument", `docs[]: ${own} names another owner`);
          }
          const pending: Fields = {};
          for (const [field, target] of Object.entries(spec.references)) {
            const value = doc[field];
            if (value === undefined || value === null) {
              continue;
            }
            const mapped = await copies.get(target.table, String(value), () =>
              mappedNew(ctx.db, args.owner, args.moveId, target.table, value));
            if (mapped !== null) {
              doc[field] = mapped;
            } else if (move.required.includes(field)) {
              fail("not_found", `docs[]: ${field} ${String(value)} is not copied yet`);
            } else {
              pending[field] = value;
              delete doc[field];
            }
          }
          const newId = await ctx.db.insert(spec.table, doc);
          copies.set(spec.table, oldId, newId); // a later document of the batch may point here
          const row: Fields = { moveId: args.moveId, owner: args.owner, table: spec.table,
            oldId, newId };
          if (Object.keys(pending).length > 0) {
            row.pending = pending;
          }
          await ctx.db.insert(ID_MAP, row);
          written += 1;
        }
        return { written, skipped };
      }),
  });
}

export function fixReferencesFunction(spec: TableSpec) {
  return internalMutationGeneric({
    args: MOVE_PAGE_ARGS,
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      const numItems = numItemsOf(args.numItems);
      const { page, isDone, continueCursor } = await ctx.db
        .query(ID_MAP)
        .withIndex("by_move_table_old", (q: any) =>
          q.eq("moveId", args.moveId).eq("table", spec.table),
        )
        .paginate({ cursor: args.cursor, numItems });
      let fixed = 0;
      let dangling = 0;
      for (const row of page) {
        if (row.pending === undefined || row.owner !== args.owner) {
          continue;
        }
        const doc = await loadOwned(ctx.db, spec.table, spec.chain, row.newId, args.owner);
        if (doc === null) {
          continue;
        }
        const fields: Fields = {};
        for (const [field, value] of Object.entries(row.pending as Fields)) {
          const target = spec.references[field].table;
          const mapped = await mappedNew(ctx.db, args.owner, args.moveId, target, value);
          if (mapped === null) {
            dangling += 1; // pointed at nothing the move copies: left out, the digest shows it
          } else {
            fields[field] = mapped;
          }
        }
        await ctx.db.patch(doc._id, fields);
        await ctx.db.patch(row._id, { pending: undefined });
        fixed += 1;
      }
      return { fixed, dangling, isDone, continueCursor };
    },
  });
}

export function removeBatchFunction(spec: TableSpec, move: MoveSpec) {
  return internalMutationGeneric({
    args: { owner: v.string(), numItems: v.number(), cursor: v.optional(v.string()) },
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      const numItems = numItemsOf(args.numItems);
      // Removed documents leave the index: a field-owned table always reads its first page.
      const { page, isDone, continueCursor } =
        spec.kind === "field"
          ? await ownerPage(ctx.db, spec, move, args.owner, null, numItems)
          : await ownerPage(ctx.db, spec, move, args.owner, args.cursor ?? null, numItems);
      for (const doc of page) {
        await ctx.db.delete(doc._id);
      }
      return { removed: page.length, isDone, continueCursor };
    },
  });
}

export function foreignFunction(spec: TableSpec, move: MoveSpec) {
  return internalQueryGeneric({
    args: { owner: v.string() },
    handler: async (ctx, args) => {
      checkText(args.owner, "owner");
      if (spec.kind === "field") {
        const own = ownerField(spec);
        const before = await ctx.db
          .query(spec.table)
          .withIndex(move.index, (q: any) => q.lt(own, args.owner))
          .first();
        const after = await ctx.db
          .query(spec.table)
          .withIndex(move.index, (q: any) => q.gt(own, args.owner))
          .first();
        return before !== null || after !== null;
      }
      // Children of another owner's parent show there; a sample catches orphans too.
      for (const doc of await ctx.db.query(spec.table).take(100)) {
        if ((await loadOwned(ctx.db, spec.table, spec.chain, doc._id, args.owner)) === null) {
          return true;
        }
      }
      return false;
    },
  });
}
