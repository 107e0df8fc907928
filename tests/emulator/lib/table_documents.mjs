// A deployment's documents as convex-test keeps them (one object, id -> document: what
// DatabaseFake._documents is given), also kept grouped by table as they change, so that a query
// reads its own table only and not the whole deployment; and, for an index range with a string
// equality (an owner, a parent's id), only the documents holding that value, from a lookup built
// once per version of the table. What a query answers does not change: convex-test still filters
// and sorts what it is handed (lib/convex_test_internals.mjs, serveFromTables).

export function tableOfId(id) {
  const match = /^[0-9]+/.exec(id);
  return match ? id.slice(match[0].length) : id;
}

export class TableDocuments {
  byId = {}; // the plain object behind `documents`
  tables = new Map(); // table -> Map(id -> document), in the order the object keeps its keys
  versions = new Map(); // table -> a number bumped on every change to it
  lookups = new Map(); // `${table}\n${field}` -> {version, byValue: Map(string -> ids)}

  constructor() {
    // Writes through the object (convex-test's commit, the control API) keep the tables in step.
    this.documents = new Proxy(this.byId, {
      set: (target, id, document) => {
        target[id] = document;
        this._changed(id).set(id, document);
        return true;
      },
      deleteProperty: (target, id) => {
        if (Object.hasOwn(target, id)) {
          delete target[id];
          this._changed(id).delete(id);
        }
        return true;
      },
      defineProperty: () => false, // only plain assignment is kept in step
    });
  }

  _changed(id) {
    const table = tableOfId(String(id));
    this.versions.set(table, (this.versions.get(table) ?? 0) + 1);
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
  // the table, or for an index range with an equality on a top-level field to a string, those
  // whose field holds that string (a superset of what the range matches; the caller filters).
  candidates(table, source) {
    const docs = this.tables.get(table);
    if (!docs) return [];
    const eq = source?.type === "IndexRange" ? stringEquality(source) : null;
    if (eq === null || source.indexName.split(".")[0] !== table) return docs.keys();
    return this._lookup(table, eq.fieldPath).get(eq.value) ?? [];
  }

  _lookup(table, field) {
    const key = `${table}\n${field}`;
    const version = this.versions.get(table) ?? 0;
    const known = this.lookups.get(key);
    if (known?.version === version) return known.byValue;
    const byValue = new Map();
    for (const [id, doc] of this.tables.get(table) ?? []) {
      const value = doc[field];
      if (typeof value !== "string") continue;
      const ids = byValue.get(value);
      if (ids) ids.push(id);
      else byValue.set(value, [id]);
    }
    this.lookups.set(key, { version, byValue });
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

function stringEquality(source) {
  for (const expr of source.range ?? []) {
    if (expr.type === "Eq" && typeof expr.value === "string" && !expr.fieldPath.includes(".")) {
      return expr;
    }
  }
  return null;
}
