// Hand-written: the data functions that read (get, page, search), built per table by the
// generated convex/data/<table>.ts. Scoped by owner through convex/dataLib.ts.
import { internalQueryGeneric, paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import {
  MAX_PAGE_ITEMS,
  MAX_SEARCH_RESULTS,
  asFields,
  checkText,
  fail,
  has,
  loadOwned,
  ownerField,
  type Fields,
  type Reader,
  type TableSpec,
} from "./dataLib";

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
