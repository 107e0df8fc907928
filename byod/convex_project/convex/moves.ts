// Hand-written: the id map of moves on the destination deployment (the byodIdMap table).
// A row per copied document: {moveId, owner, table, oldId (the source's id), newId (its id
// here), pending? (references to set once their targets are copied)}. importBatch
// (convex/dataMoves.ts) writes it and skips what it already holds; digests read documents
// back as source ids through it; the control plane calls
//   moves:forget {moveId, numItems} -> {removed}   (repeat until 0)
// once a move is over.
import { internalMutationGeneric } from "convex/server";
import { v } from "convex/values";
import { checkText, fail, type Reader, type Writer } from "./dataLib";

export const ID_MAP = "byodIdMap";
const MAX_FORGET = 1000;

/** The map row of the source's document `oldId` of `table` in this move (null: none). A move
 * id belongs to one owner: a row of another owner is refused. */
async function mapRow(db: Reader, owner: string, moveId: string, table: string, oldId: string) {
  const row = await db
    .query(ID_MAP)
    .withIndex("by_move_table_old", (q: any) =>
      q.eq("moveId", moveId).eq("table", table).eq("oldId", oldId),
    )
    .first();
  if (row !== null && row.owner !== owner) {
    fail("invalid_argument", "moveId: this move copies another owner's documents");
  }
  return row;
}

/** This deployment's id of the source's document `oldId` of `table`, when the move copied
 * it. */
export async function mappedNew(
  db: Reader,
  owner: string,
  moveId: string,
  table: string,
  oldId: unknown,
): Promise<string | null> {
  if (typeof oldId !== "string") {
    return null;
  }
  const row = await mapRow(db, owner, moveId, table, oldId);
  return row === null ? null : (row.newId as string);
}

/** Whether the move already copied the source's document `oldId` of `table` here: its map
 * row exists and the copy is still there. A row whose copy is gone (removed since, e.g. by a
 * caller clearing what an attempt left) is deleted, so the document is copied again. */
export async function alreadyCopied(
  db: Writer,
  owner: string,
  moveId: string,
  table: string,
  oldId: string,
): Promise<boolean> {
  const row = await mapRow(db, owner, moveId, table, oldId);
  if (row === null) {
    return false;
  }
  const copy = db.normalizeId(table, row.newId as string);
  if (copy !== null && (await db.get(copy)) !== null) {
    return true;
  }
  await db.delete(row._id);
  return false;
}

/** The source's id of this deployment's document `newId`, when the move copied it. */
export async function mappedOld(db: Reader, moveId: string, newId: string) {
  const row = await db
    .query(ID_MAP)
    .withIndex("by_move_new", (q: any) => q.eq("moveId", moveId).eq("newId", newId))
    .first();
  return row === null ? null : (row.oldId as string);
}

export const forget = internalMutationGeneric({
  args: { moveId: v.string(), numItems: v.number() },
  handler: async (ctx, args) => {
    checkText(args.moveId, "moveId");
    if (!Number.isInteger(args.numItems) || args.numItems < 1 || args.numItems > MAX_FORGET) {
      fail("invalid_argument", `numItems: 1 to ${MAX_FORGET}`);
    }
    const rows = await ctx.db
      .query(ID_MAP)
      .withIndex("by_move_new", (q: any) => q.eq("moveId", args.moveId))
      .take(args.numItems);
    for (const row of rows) {
      await ctx.db.delete(row._id);
    }
    return { removed: rows.length };
  },
});
