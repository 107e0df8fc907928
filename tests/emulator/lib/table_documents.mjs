// A deployment's documents as convex-test keeps them (one object, id -> document: what
// DatabaseFake._documents is given), also kept grouped by table as they change, so that a query
// reads its own table only and not the whole deployment; and, for an index range with a string
// equality (an owner, a parent's id), only the documents holding that value, from a lookup built
// on first use and kept up to date as documents change (rebuilding it after every committed
// batch made a move quadratic). What a query answers does not change: convex-test still filters
// and sorts what it is handed (lib/convex_test_internals.mjs, serveFromTables).

export function tableOfId(id) {
  const match = /^[0-9]+/.exec(id);
  return match ? id.slice(match[0].length) : id;
}

export class TableDocuments {
  byId = {}; // the plain object behind `documents`
  tables = new Map(); // table -> Map(id -> document), in the order the object keeps its keys
  versions = new Map(); // table -> a number bumped on every change to it
  written = new Map(); // table -> its version after its last change that was not a deletion
  lookups = new Map(); // table -> Map(fields joined -> {fields, byValue: Map(key -> Set(ids))})
  // Queries with more candidates than this are answered from kept sorted documents
  // (lib/sorted_ranges.mjs); fewer are cheaper to read and sort each time.
  keepAbove = 32;

  constructor() {
    // Writes through the object (convex-test's commit, the control API) keep the tables in step.
    this.documents = new Proxy(this.byId, {
      set: (target, id, document) => {
        const before = Object.hasOwn(target, id) ? target[id] : undefined;
        target[id] = document;
        this._changed(id, before, document).set(id, document);
        return true;
      },
      deleteProperty: (target, id) => {
        if (Object.hasOwn(target, id)) {
          const before = target[id];
          delete target[id];
          this._changed(id, before, undefined).delete(id);
        }
        return true;
      },
      defineProperty: () => false, // only plain assignment is kept in step
    });
  }

  // `before` and `after`: the document's old and new value (undefined: none).
  _changed(id, before, after) {
    const table = tableOfId(String(id));
    const version = (this.versions.get(table) ?? 0) + 1;
    this.versions.set(table, version);
    if (after !== undefined) this.written.set(table, version);
    for (const lookup of this.lookups.get(table)?.values() ?? []) {
      const old = before && keyOf(before, lookup.fields);
      const now = after && keyOf(after, lookup.fields);
      if (old === now) continue;
      const ids = old && lookup.byValue.get(old);
      if (ids) ids.delete(id);
      if (ids?.size === 0) lookup.byValue.delete(old);
      if (now) addTo(lookup.byValue, now, id);
    }
    let docs = this.tables.get(table);
    if (!docs) this.tables.set(table, (docs = new Map()));
    return docs;
  }

  // The tables holding at least one document.
  tableNames() {
    return [...this.tables].filter(([, docs]) => docs.size > 0).map(([name]) => name);
  }

  // A table's documents, in the order the object holds them.
  of(table) {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  // Ids of `table` that can match `source` (convex-test's query source, or null): every id of
  // the table, or for an index range with equalities on top-level fields to strings, those
  // whose fields hold those strings (a superset of what the range matches; the caller filters).
  candidates(table, source) {
    const docs = this.tables.get(table);
    if (!docs) return [];
    const lookup = lookupOf(table, source);
    if (lookup === null) return docs.keys();
    return this._lookup(table, lookup.fields).get(lookup.key) ?? [];
  }

  // How many ids candidates(table, source) hands over.
  countCandidates(table, source) {
    const ids = this.candidates(table, source);
    return ids.size ?? ids.length ?? this.tables.get(table)?.size ?? 0;
  }

  // Map(JSON of the fields' values -> Set(ids)) over the documents whose fields all hold
  // strings: built once, then kept up to date by _changed.
  _lookup(table, fields) {
    const name = fields.join("\n");
    let lookups = this.lookups.get(table);
    if (!lookups) this.lookups.set(table, (lookups = new Map()));
    const known = lookups.get(name);
    if (known) return known.byValue;
    const byValue = new Map();
    for (const [id, doc] of this.tables.get(table) ?? []) {
      const key = keyOf(doc, fields);
      if (key) addTo(byValue, key, id);
    }
    lookups.set(name, { fields, byValue });
    return byValue;
  }

  clear() {
    for (const id of Object.keys(this.byId)) delete this.documents[id];
  }

  // Every document of `other` (a plain object id -> document), as it is.
  assign(other) {
    for (const [id, doc] of Object.entries(other)) this.documents[id] = doc;
  }
}

// What a query `source` of `table` can be looked up by: for an index range with equalities to
// strings on top-level fields, those fields (`fields`, joined as `name`), the lookup `key` of the
// strings, and `holds(doc)`: whether a document holds them (a superset of what the range
// matches). Else null.
export function lookupOf(table, source) {
  const equal = stringEqualities(table, source);
  if (equal.length === 0) return null;
  const fields = equal.map((e) => e.fieldPath);
  return {
    fields,
    name: fields.join("\n"),
    key: JSON.stringify(equal.map((e) => e.value)),
    holds: (doc) => equal.every((e) => doc[e.fieldPath] === e.value),
  };
}

// The lookup key of a document (JSON of the fields' values), or null when one is not a string.
export function keyOf(doc, fields) {
  const values = fields.map((f) => doc[f]);
  return values.every((v) => typeof v === "string") ? JSON.stringify(values) : null;
}

export function addTo(byValue, key, id) {
  const ids = byValue.get(key);
  if (ids) ids.add(id);
  else byValue.set(key, new Set([id]));
}

// The equalities to strings on top-level fields of an index range of `table`.
function stringEqualities(table, source) {
  if (source?.type !== "IndexRange" || source.indexName.split(".")[0] !== table) return [];
  return (source.range ?? []).filter(
    (e) => e.type === "Eq" && typeof e.value === "string" && !e.fieldPath.includes("."),
  );
}
