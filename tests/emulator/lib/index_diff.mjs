// Index configurations of a schema export, and the diff between two of them in the shape the
// backend reports (start_push's schemaChange.indexDiffs, finish_push's indexDiff). An index whose
// definition changes counts as removed and added, as on Convex.

export function indexConfigs(schema) {
  const out = new Map();
  for (const table of schema?.tables ?? []) {
    const t = table.tableName;
    for (const i of table.indexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "database",
        fields: i.fields,
      });
    }
    for (const i of table.searchIndexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "search",
        searchField: i.searchField,
        filterFields: i.filterFields ?? [],
      });
    }
    for (const i of table.vectorIndexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "vector",
        dimensions: i.dimensions,
        vectorField: i.vectorField,
        filterFields: i.filterFields ?? [],
      });
    }
  }
  return out;
}

export function indexDiff(oldSchema, newSchema) {
  const before = indexConfigs(oldSchema);
  const after = indexConfigs(newSchema);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const added = [];
  const removed = [];
  for (const [name, config] of after) {
    if (!before.has(name) || !same(before.get(name), config)) added.push(config);
  }
  for (const [name, config] of before) {
    if (!after.has(name) || !same(after.get(name), config)) removed.push(config);
  }
  return {
    added_indexes: added,
    removed_indexes: removed,
    enabled_indexes: [],
    disabled_indexes: [],
  };
}
