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
  lookups = new Map(); // table and fields -> {version, byValue: Map(JSON of values -> ids)}

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
  // the table, or for an index range with equalities on top-level fields to strings, those
  // whose fields hold those strings (a superset of what the range matches; the caller filters).
  candidates(table, source) {
    const docs = this.tables.get(table);
    if (!docs) return [];
    const equal = source?.type === "IndexRange" ? stringEqualities(source) : [];
    if (equal.length === 0 || source.indexName.split(".")[0] !== table) return docs.keys();
    const fields = equal.map((e) => e.fieldPath);
    const key = JSON.stringify(equal.map((e) => e.value));
    return this._lookup(table, fields).get(key) ?? [];
  }

  // Map(JSON of the fields' values -> ids) over the documents whose fields all hold strings.
  _lookup(table, fields) {
    const name = `${table}\n${fields.join("\n")}`;
    const version = this.versions.get(table) ?? 0;
    const known = this.lookups.get(name);
    if (known?.version === version) return known.byValue;
    const byValue = new Map();
    for (const [id, doc] of this.tables.get(table) ?? []) {
      const values = fields.map((f) => doc[f]);
      if (!values.every((v) => typeof v === "string")) continue;
      const key = JSON.stringify(values);
      const ids = byValue.get(key);
      if (ids) ids.push(id);
      else byValue.set(key, [id]);
    }
    this.lookups.set(name, { version, byValue });
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

function stringEqualities(source) {
  return (source.range ?? []).filter(
    (e) => e.type === "Eq" && typeof e.value === "string" && !e.fieldPath.includes("."),
  );
}
