// The pending writes of a transaction as convex-test stages them: a list of levels (one per
// nesting level, each an object id -> document, or null for a delete), written only through
// one method that lib/convex_test_internals.mjs watches and reports here. Queries of a table
// with pending writes must see them; this says which tables have some, and which pending ids
// can match a query, without reading every pending write of the transaction for each query (an
// import batch queries the id map once or more per document it writes there).
import { addTo, keyOf, lookupOf, tableOfId } from "./table_documents.mjs";

export class PendingWrites {
  byLevel = new WeakMap(); // level -> Map(table -> {ids: Set, lookups: Map(name -> byValue)})

  // `id` was written (`document`, or null) into `level`.
  note(level, id, document) {
    let tables = this.byLevel.get(level);
    if (!tables) this.byLevel.set(level, (tables = new Map()));
    const table = tableOfId(id);
    let written = tables.get(table);
    if (!written) tables.set(table, (written = { ids: new Set(), lookups: new Map() }));
    written.ids.add(id);
    // Ids are only added: an id may stay under a key its document no longer holds (a superset).
    for (const [name, byValue] of written.lookups) {
      const key = document && keyOf(document, name.split("\n"));
      if (key) addTo(byValue, key, id);
    }
  }

  has(levels, table) {
    return levels.some((level) => this.byLevel.get(level)?.has(table));
  }

  // The ids of `table` written in `levels` that can match the query `source` (a superset: the
  // caller reads each and filters).
  *ids(levels, table, source) {
    const lookup = lookupOf(table, source);
    for (const level of levels) {
      const written = this.byLevel.get(level)?.get(table);
      if (!written) continue;
      if (lookup === null) {
        yield* written.ids;
        continue;
      }
      let byValue = written.lookups.get(lookup.name);
      if (!byValue) {
        written.lookups.set(lookup.name, (byValue = new Map()));
        for (const id of written.ids) {
          const key = level[id] && keyOf(level[id], lookup.fields);
          if (key) addTo(byValue, key, id);
        }
      }
      yield* byValue.get(lookup.key) ?? [];
    }
  }
}
