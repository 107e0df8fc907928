// The sorted documents of index ranges, kept while their table is unchanged, so that a query
// does not collect and sort every candidate again (a move pages through thousands of one
// owner's documents, and reads a parent-owned table one parent range at a time).
//
// A query's range is its equalities (a prefix of the index's fields) and at most a lower and an
// upper bound on the next field. What is kept is the documents of the equalities alone, in
// convex-test's order for the index (its fields, then _creationTime and _id: a total order);
// within them, each bound holds on one contiguous run at the start or at the end, found by
// binary search. convex-test itself computes the kept documents and says whether a document
// meets a bound (lib/convex_test_internals.mjs, serveFromTables): nothing here compares values.

// The part of a query source that decides its kept documents (null: not kept, e.g. a search),
// and the bounds to narrow them by.
export function rangeOf(source) {
  if (source?.type === "FullTableScan") {
    return {
      table: source.tableName,
      key: `scan ${source.order ?? "asc"}`,
      base: source,
      bounds: [],
    };
  }
  if (source?.type !== "IndexRange" || !Array.isArray(source.range)) return null;
  const equalities = source.range.filter((r) => r.type === "Eq");
  const bounds = source.range.filter((r) => r.type !== "Eq");
  // Only a prefix of equalities, then bounds: any other shape is convex-test's to refuse.
  if (source.range.slice(0, equalities.length).some((r) => r.type !== "Eq")) return null;
  const base = { ...source, range: equalities };
  const key = JSON.stringify([source.indexName, source.order ?? "asc", equalities]);
  return { table: source.indexName.split(".")[0], key, base, bounds };
}

// The indexes [lo, hi) of the run of docs[lo..hi) where holds(doc) is true, given that it is
// true on a run at the start or at the end of it (a bound on a sorted field).
export function narrow(docs, lo, hi, holds) {
  if (lo >= hi) return [lo, hi];
  const first = holds(docs[lo]);
  let a = lo + 1;
  let b = hi;
  while (a < b) {
    const middle = (a + b) >>> 1;
    if (holds(docs[middle]) === first) a = middle + 1;
    else b = middle;
  }
  return first ? [lo, a] : [a, hi];
}

// Kept documents per table, dropped as soon as a document of the table is written
// (tables.written), and without the documents deleted since otherwise (tables.versions, bumped
// on every change): a move removes an owner's documents a batch at a time.
export class SortedRanges {
  byTable = new Map(); // table -> {written, entries: Map(key -> {version, docs})}

  constructor(tables) {
    this.tables = tables;
  }

  // The kept documents under `key`, computed by `compute()` when the table was written since.
  get(table, key, compute) {
    const version = this.tables.versions.get(table) ?? 0;
    const written = this.tables.written.get(table) ?? 0;
    let kept = this.byTable.get(table);
    if (kept?.written !== written)
      this.byTable.set(table, (kept = { written, entries: new Map() }));
    let entry = kept.entries.get(key);
    if (entry === undefined) {
      kept.entries.set(key, (entry = { version, docs: compute() }));
    } else if (entry.version !== version) {
      // Only deletions since: the documents still there are the very ones kept.
      const byId = this.tables.byId;
      entry.docs = entry.docs.filter((doc) => byId[doc._id] === doc);
      entry.version = version;
    }
    return entry.docs;
  }
}
