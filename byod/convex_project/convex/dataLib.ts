// Hand-written: what every generated data function (convex/data/<table>.ts) shares; the
// functions themselves are built in convex/dataReads.ts and convex/dataWrites.ts.
// The control plane calls them with the deploy key (they are internal: never reachable from the
// internet) and names the user in `owner`, their stable external id. Every function is scoped by
// owner: a document of another owner is "not found", never returned or changed, including
// through a parent (toolCalls -> messages -> userId). Every mutation is idempotent by the
// caller's operation id (byodOperations), since HTTP mutations are not deduplicated.
// Expected failures are ConvexError({ code, message }) with code not_found, invalid_argument or
// too_large; the Python client maps the code to its category.
import {
  type GenericDatabaseReader,
  type GenericDatabaseWriter,
  type GenericDocument,
} from "convex/server";
import { ConvexError, type GenericId } from "convex/values";

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

export type Reader = GenericDatabaseReader<any>;
export type Writer = GenericDatabaseWriter<any>;
export type Fields = Record<string, any>;
export type Owned = GenericDocument & { _id: GenericId<string> };

const OPERATIONS = "byodOperations";
const OPERATION_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_PER_CALL = 16;
const MAX_ID_LENGTH = 256;
export const MAX_PAGE_ITEMS = 1024;
export const MAX_SEARCH_RESULTS = 100;
// A transaction may write 16,000 documents and run 4,096 index ranges: a remove stays well
// below both and says whether it is done; the caller repeats with a new operation id.
export const MAX_REMOVED = 1000;
export const MAX_REMOVE_QUERIES = 2000;
export const REMOVE_BATCH = 256;

export type Code = "not_found" | "invalid_argument" | "too_large";

export function fail(code: Code, message: string): never {
  throw new ConvexError({ code, message });
}

export function has(object: Fields, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

export function asFields(value: unknown, what: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("invalid_argument", `${what} must be an object`);
  }
  if (value instanceof ArrayBuffer) {
    fail("invalid_argument", `${what} must be an object`);
  }
  return value as Fields;
}

export function checkText(value: string, what: string): void {
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    fail("invalid_argument", `${what} must be 1 to ${MAX_ID_LENGTH} characters`);
  }
}

export function ownerField(spec: TableSpec): string {
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
export async function checkReferences(db: Reader, spec: TableSpec, fields: Fields, owner: string) {
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

export function checkSystemFields(fields: Fields, what: string): void {
  for (const key of Object.keys(fields)) {
    if (key.startsWith("_")) {
      fail("invalid_argument", `${what}: ${key} is a system field`);
    }
  }
}

/** Runs `work` once per operation id: a repeated call returns the stored result and writes
 * nothing. A failed call stores nothing (its transaction is rolled back), so it may be retried. */
export async function once<T>(db: Writer, owner: string, opId: string, work: () => Promise<T>) {
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
