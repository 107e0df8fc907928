// The one module that reaches into convex-test's private parts; every other module asks it for a
// convex-test instance bound to a deployment's document store.
//
// A convexTest() instance binds its data to one schema and module set, so a deployment needs a new
// instance after every push, with its documents (and their ids) carried over. convex-test has no
// public way to hand an instance existing documents with given ids, or to share one id counter
// between instances: its data lives in a private class, DatabaseFake. So (README.md, "convex-test
// internals", lists the same):
//   - a load hook appends one side-effect-free line to convex-test/dist/index.js that exports the
//     module-scope class DatabaseFake (nothing else can reach a module's private binding);
//   - DatabaseFake.prototype.validateSchema(), which the constructor calls, is wrapped only while
//     our own convexTest() call runs, to catch the instance it creates;
//   - that instance's fields _documents and _lastCreationTime and its method _generateId are
//     pointed at the deployment's store;
//   - its methods insert, patch and replace are wrapped to note which one is writing, and
//     _addWrite (where each of them hands over the whole new document) to check that document
//     against the backend's limits first (lib/document_limits.mjs);
//   - its method paginate is wrapped to seal the cursors it hands out and open the ones it gets
//     (lib/cursors.mjs);
//   - its method _iterateDocs (every query's source of documents) is served from the store's
//     documents grouped by table (lib/table_documents.mjs), and _resolveQuerySource is wrapped to
//     say which query asks, so an index range with a string equality reads only the documents
//     holding that string; and to answer a table the transaction has not written to (its field
//     _writes, filled by _addWrite, says) from sorted documents kept while the table is unchanged
//     (lib/sorted_ranges.mjs), a page starting at its cursor (paginate wrapped to say which page
//     asks). convex-test still computes, filters and sorts them, and judges every bound and
//     cursor: the answers are the same.
// checkConvexTest() (lib/convex_test_check.mjs) verifies each of these against the version they
// were read in; server.mjs refuses to start when it fails.
import { register } from "node:module";
import { SortedRanges, narrow, rangeOf } from "./sorted_ranges.mjs";
import { PendingWrites } from "./pending_writes.mjs";
import { lookupOf } from "./table_documents.mjs";

export const CHECKED_VERSION = "0.0.60";
// What is relied on, by name (README.md lists each with the reason; a test keeps the two in step).
export const INTERNALS = [
  "convex-test/dist/index.js",
  "DatabaseFake",
  "DatabaseFake.prototype.validateSchema",
  "DatabaseFake.prototype._generateId",
  "_documents",
  "_lastCreationTime",
  "DatabaseFake.prototype.insert",
  "DatabaseFake.prototype.patch",
  "DatabaseFake.prototype.replace",
  "DatabaseFake.prototype._addWrite",
  "DatabaseFake.prototype.paginate",
  "DatabaseFake.prototype._iterateDocs",
  "DatabaseFake.prototype._resolveQuerySource",
  "_writes",
];
// The writing methods and their arities; each hands its new document to _addWrite(id, document).
export const WRITERS = [
  ["insert", 2],
  ["patch", 3],
  ["replace", 3],
];
export const ENTRY_SUFFIX = "/convex-test/dist/index.js";
const EXPOSED = "__emulatorDatabaseFake";

// `typeof` keeps the appended line harmless if the class is ever renamed: the module still loads
// and checkConvexTest() says what is missing.
register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith(${JSON.stringify(ENTRY_SUFFIX)})) return result;
  const source = String(result.source ?? (await import("node:fs")).readFileSync(new URL(url)));
  const expose =
    "\\nexport const ${EXPOSED} = typeof DatabaseFake === 'function' ? DatabaseFake : undefined;\\n";
  return { ...result, format: "module", shortCircuit: true, source: source + expose };
}`),
);

// Loaded after register() (a static import would load it before the hook exists). A failure is
// kept for checkConvexTest() to report instead of crashing on import.
export const loaded = await (async () => {
  try {
    const entry = import.meta.resolve("convex-test");
    return { entry, module: await import("convex-test") };
  } catch (error) {
    return { error };
  }
})();

export function databaseFake() {
  if (loaded.error) throw loaded.error;
  return loaded.module[EXPOSED];
}

// Runs `make` with validateSchema wrapped to collect every DatabaseFake constructed meanwhile.
// `make` is synchronous, so nothing else can construct one in between.
export function catchDatabases(DatabaseFake, make) {
  const original = DatabaseFake.prototype.validateSchema;
  const created = [];
  DatabaseFake.prototype.validateSchema = function validateSchema(...args) {
    created.push(this);
    return original.apply(this, args);
  };
  try {
    return { value: make(), created };
  } finally {
    DatabaseFake.prototype.validateSchema = original;
  }
}

// store: {documents: {id: document}, lastCreationTime: number, generateId(table): string, and
// optionally tables: the TableDocuments whose `documents` it is, to serve queries from}. The
// documents object is shared, not copied: commits land in it and the control API reads it. The
// creation-time clock and the id counter are the store's too, so a mutation still running on a
// previous instance during a push cannot reuse an id or go back in time.
function bindToStore(db, store) {
  db._documents = store.documents;
  db._generateId = (table) => store.generateId(table);
  Object.defineProperty(db, "_lastCreationTime", {
    get: () => store.lastCreationTime,
    set: (value) => {
      store.lastCreationTime = value;
    },
    enumerable: true,
    configurable: true,
  });
}

// store.tables.candidates(table, source) (lib/table_documents.mjs): the committed ids of `table`
// that can match the query source being resolved (null: every id, in the order _documents holds
// them). Pending writes of the table are added as convex-test adds them, and each id is read
// through get() (pending writes first) and handed over only if it still exists.
//
// A table scan or an index range of a table this transaction has not written to is answered
// from the sorted documents kept for it (lib/sorted_ranges.mjs): convex-test's own
// _resolveQuerySource computes them (and validates the query, and builds its filter and limit),
// and says whether a document meets a bound, given that one document alone to read. A page
// (paginate, which resolves its query first) of an index range starts at its cursor, found the
// same way: convex-test's paginate says whether one document alone comes after it.
function serveFromTables(db, store) {
  const pending = trackPendingWrites(db);
  const kept = new SortedRanges(store.tables);
  let source = null; // the query _resolveQuerySource is resolving (it is synchronous)
  let only = null; // the documents _iterateDocs hands over instead of the table's
  let paging = null; // the paginate request whose query is about to be resolved
  let probed = null; // the one document a query resolves to, while paginate judges it
  const resolve = db._resolveQuerySource;
  const paginate = db.paginate;
  const resolveWith = (self, query, documents) => {
    only = documents;
    source = query.source ?? null;
    try {
      return resolve.call(self, query);
    } finally {
      only = null;
      source = null;
    }
  };
  // Whether the range's equalities leave so few candidates that reading and sorting them is
  // cheaper than keeping them (a parent's children, an id map row).
  const few = (range) =>
    store.tables.countCandidates(range.table, range.base) <= store.tables.keepAbove;
  // [lo, hi) of docs without those at or before the cursor of the page `request` asks for.
  const fromCursor = (self, request, answer, docs, lo, hi) => {
    const cursor = request?.cursor;
    // Without _id among the sort fields, ties keep the order they were read in, not the
    // cursor's: only an index range (always sorted down to _id) is searched.
    if (typeof cursor !== "string" || cursor === "_end_cursor") return [lo, hi];
    if (!answer.fieldPathsToSortBy.includes("_id")) return [lo, hi];
    const alone = { ...request, query: { ...request.query, operators: [] }, endCursor: null };
    Object.assign(alone, { pageSize: 1, maximumRowsRead: undefined, maximumBytesRead: undefined });
    const isAfter = (doc) => {
      probed = doc;
      try {
        return paginate.call(self, alone).page.length === 1;
      } finally {
        probed = null;
      }
    };
    return narrow(docs, lo, hi, isAfter);
  };
  db.paginate = function pageFromCursor(request) {
    paging = request;
    try {
      return paginate.call(this, request);
    } finally {
      paging = null;
    }
  };
  db._resolveQuerySource = function resolveQuerySource(query) {
    const request = paging?.query === query ? paging : null;
    paging = null;
    if (probed !== null) return { ...resolveWith(this, query, []), sortedDocs: [probed] };
    const range = rangeOf(query?.source);
    if (range === null || pending.has(this, range.table) || few(range)) {
      return resolveWith(this, query, null);
    }
    const answer = resolveWith(this, query, []); // the checks, filter, limit and order
    const docs = kept.get(range.table, range.key, () => {
      return resolveWith(this, { source: range.base, operators: [] }, null).sortedDocs;
    });
    let [lo, hi] = [0, docs.length];
    for (const bound of range.bounds) {
      const probe = {
        source: { ...range.base, range: [...range.base.range, bound] },
        operators: [],
      };
      const holds = (doc) => resolveWith(this, probe, [doc]).sortedDocs.length === 1;
      [lo, hi] = narrow(docs, lo, hi, holds);
    }
    [lo, hi] = fromCursor(this, request, answer, docs, lo, hi);
    return { ...answer, sortedDocs: docs.slice(lo, hi) };
  };
  db._iterateDocs = function iterateDocs(tableName, callback) {
    if (only !== null) {
      for (const document of only) callback(document);
      return;
    }
    const ids = new Set(store.tables.candidates(tableName, source));
    for (const id of pending.ids(this, tableName, source)) ids.add(id);
    const holds = lookupOf(tableName, source)?.holds ?? (() => true);
    for (const id of ids) {
      const document = this.get(tableName, id);
      if (document !== null && holds(document)) callback(document);
    }
  };
}

// A transaction's pending writes (db._writes, one object per nesting level, filled only by
// _addWrite), noted as _addWrite receives them (lib/pending_writes.mjs).
function trackPendingWrites(db) {
  const pending = new PendingWrites();
  const addWrite = db._addWrite;
  db._addWrite = function noteWrite(id, document) {
    const result = addWrite.call(this, id, document);
    pending.note(this._writes[this._writes.length - 1], id, document);
    return result;
  };
  return {
    has: (self, table) => pending.has(self._writes, table),
    ids: (self, table, source) => pending.ids(self._writes, table, source),
  };
}

// checkWrite(op, document) sees every document a function writes ("db.insert", "db.patch" or
// "db.replace", with _id and _creationTime) before it is stored, and may throw to refuse it.
// The methods are synchronous, so `op` cannot belong to another call.
function watchWrites(db, checkWrite) {
  let op = null;
  for (const [name] of WRITERS) {
    const original = db[name];
    db[name] = function write(...args) {
      op = `db.${name}`;
      try {
        return original.apply(this, args);
      } finally {
        op = null;
      }
    };
  }
  const addWrite = db._addWrite;
  db._addWrite = function watchedAddWrite(id, document) {
    if (op !== null && document !== null) checkWrite(op, document);
    return addWrite.call(this, id, document);
  };
}

// cursors.seal(inner, query) / cursors.open(sealed, query): what paginate hands out and takes.
function sealCursors(db, cursors) {
  const paginate = db.paginate;
  db.paginate = function sealedPaginate(request) {
    const { query } = request;
    const result = paginate.call(this, {
      ...request,
      cursor: cursors.open(request.cursor, query),
      endCursor: cursors.open(request.endCursor, query),
    });
    return {
      ...result,
      continueCursor: cursors.seal(result.continueCursor, query),
      splitCursor: cursors.seal(result.splitCursor, query),
    };
  };
}

// A convexTest() instance (public API from here on: t.query, t.mutation, t.action, t.run) whose
// database is `store`. `transactionLimits` is convex-test's public option: true enforces Convex's
// per-transaction limits, an object overrides some of them, false enforces none.
export function createRuntime(
  schemaDefinition,
  modules,
  store,
  { transactionLimits = false, checkWrite = null, cursors = null } = {},
) {
  const { convexTest } = loaded.module ?? {};
  const DatabaseFake = databaseFake();
  const { value: t, created } = catchDatabases(DatabaseFake, () =>
    convexTest({ schema: schemaDefinition, modules, transactionLimits }),
  );
  if (created.length !== 1) {
    throw new Error(
      `convex-test internals changed: convexTest() built ${created.length} DatabaseFake ` +
        "instances, expected 1 (see README.md, convex-test internals).",
    );
  }
  bindToStore(created[0], store);
  if (store.tables) serveFromTables(created[0], store);
  if (checkWrite) watchWrites(created[0], checkWrite);
  if (cursors) sealCursors(created[0], cursors);
  return t;
}
