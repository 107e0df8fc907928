// Hand-written: the data functions that write (insert, patch, remove), built per table by
// the generated convex/data/<table>.ts. Each runs once per operation id (dataLib.ts `once`).
import { internalMutationGeneric } from "convex/server";
import { v, type GenericId } from "convex/values";
import {
  MAX_REMOVED,
  MAX_REMOVE_QUERIES,
  REMOVE_BATCH,
  asFields,
  checkReferences,
  checkSystemFields,
  fail,
  has,
  loadOwned,
  once,
  ownerField,
  type Child,
  type Fields,
  type TableSpec,
  type Writer,
} from "./dataLib";

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
