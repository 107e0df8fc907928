// The backend's schema rules, checked at start_push with the backend's error codes and messages
// (DESIGN.md, "Convex facts"). The `convex` package checks none of them, so without this a schema
// the real backend refuses would deploy fine here.
//
// The checks run in the backend's order, so a schema breaking two rules gets the backend's answer
// (github.com/get-convex/convex-backend at 94a42c3):
//   1. the JSON's shape (serde: InvalidJson), crates/common/src/schemas/json.rs;
//   2. each table in turn (TableDefinition::try_from, json.rs): its document validator (field
//      names, records, the top-level type), its name, the index count, each kind of index parsed
//      (names, field paths, field counts) and compared (one field list per index), then the index
//      names (reserved, unique);
//   3. every database index's fields, tables by name (_validate_user_defined_index_fields,
//      crates/application/src/lib.rs): no _creationTime or _-prefixed part, room for _creationTime;
//   4. with schema validation, every table by name (check_index_references, schemas/mod.rs): the
//      fields indexes reference exist, and a vector field can hold an array of float64.
// A message gets the prefix evaluate_schema puts on every schema error. Names are in
// schema_names.mjs, document validators in schema_validators.mjs.
import { HttpError } from "./http.mjs";
import {
  byBytes,
  fail,
  orElse,
  refuse,
  SchemaError,
  sortedValues,
  wrapping,
} from "./schema_errors.mjs";
import { checkIdentifier, isSystem, parseFieldPath, partsOf } from "./schema_names.mjs";
import {
  documentCanContain,
  isValidatorJson,
  parseDocumentType,
  vectorEligible,
} from "./schema_validators.mjs";

const MAX_INDEX_FIELDS = 16; // MAX_INDEX_FIELDS_SIZE: the trailing _creationTime counts
const MAX_FILTER_FIELDS = 16; // distinct ones, for search and vector indexes alike
const MAX_INDEXES_PER_TABLE = 64; // all kinds, staged ones included
const VECTOR_DIMENSIONS = [2, 4096];
const PREFIX = "Hit an error while evaluating your schema:\n";

// -- The JSON's shape (serde) --------------------------------------------------------------------

function checkShape(schema) {
  const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);
  const absent = (x) => x === undefined || x === null;
  const string = (x) => typeof x === "string";
  const strings = (x) => Array.isArray(x) && x.every(string);
  const listOf = (x, item) => Array.isArray(x) && x.every(item);
  const optionalListOf = (x, item) => absent(x) || listOf(x, item);
  const u32 = (x) => absent(x) || (Number.isInteger(x) && x >= 0 && x <= 0xffffffff);
  const dbIndex = (i) => isObject(i) && string(i.indexDescriptor) && strings(i.fields);
  const searchIndex = (i) =>
    isObject(i) && string(i.indexDescriptor) && string(i.searchField) && strings(i.filterFields);
  const vectorIndex = (i) =>
    isObject(i) &&
    string(i.indexDescriptor) &&
    string(i.vectorField) &&
    u32(i.dimensions) &&
    u32(i.dimension) &&
    strings(i.filterFields);
  const table = (t) =>
    isObject(t) &&
    string(t.tableName) &&
    listOf(t.indexes, dbIndex) &&
    optionalListOf(t.stagedDbIndexes, dbIndex) &&
    optionalListOf(t.searchIndexes, searchIndex) &&
    optionalListOf(t.stagedSearchIndexes, searchIndex) &&
    optionalListOf(t.vectorIndexes, vectorIndex) &&
    optionalListOf(t.stagedVectorIndexes, vectorIndex) &&
    (absent(t.documentType) || isValidatorJson(t.documentType));
  const ok =
    isObject(schema) &&
    listOf(schema.tables, table) &&
    (absent(schema.schemaValidation) || typeof schema.schemaValidation === "boolean");
  if (!ok) throw refuse("InvalidJson", "Invalid JSON");
}

// -- Tables (TableDefinition::try_from in json.rs) -----------------------------------------------

function parseIndexName(name) {
  orElse(
    () =>
      refuse(
        "InvalidIndexName",
        `Invalid index name: "${name}". Identifiers must be 64 characters or less, start with a ` +
          "letter, and only contain letters, digits, underscores.",
      ),
    () => checkIdentifier(name),
  );
  return name;
}

function parseIndexField(name, raw) {
  return orElse(
    () => refuse("InvalidIndexField", `In index "${name}": Invalid index field: "${raw}"`),
    () => parseFieldPath(raw),
  );
}

const tooManyFields = () =>
  refuse("IndexTooManyFields", `Indexes may have up to ${MAX_INDEX_FIELDS} fields.`);

// IndexedFields::try_from: the count, no _id, no field twice.
function checkIndexedFields(fields) {
  if (fields.length > MAX_INDEX_FIELDS) throw tooManyFields();
  if (fields.includes("_id")) {
    throw refuse(
      "IndexFieldsContainId",
      "`_id` is not a valid index field. To load documents by ID, use `db.get(id)`.",
    );
  }
  const seen = new Set();
  for (const f of fields) {
    if (seen.has(f)) {
      throw refuse(
        "FieldsNotUniqueWithinIndex",
        `Duplicate field "${f}". Index fields must be unique within an index.`,
      );
    }
    seen.add(f);
  }
}

function parseDbIndex(json) {
  const name = parseIndexName(json.indexDescriptor);
  const fields = json.fields.map((raw) => parseIndexField(name, raw));
  wrapping(
    (message) => `In index "${name}": ${message}`,
    () => checkIndexedFields(fields),
  );
  return { name, fields };
}

// Filter fields are a set: one listed twice counts once.
function checkFilterCount(fields) {
  if (fields.size > MAX_FILTER_FIELDS) {
    // The backend says "Search indexes" for vector indexes too.
    throw refuse(
      "IndexTooManyFilterFields",
      `Search indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`,
    );
  }
  return [...fields].sort(byBytes);
}

function parseSearchIndex(json) {
  const name = parseIndexName(json.indexDescriptor);
  const searchField = parseIndexField(name, json.searchField);
  // The JSON's filter fields are read as a set of strings, so they are parsed in sorted order.
  const raws = [...new Set(json.filterFields)].sort(byBytes);
  const filterFields = checkFilterCount(new Set(raws.map((raw) => parseIndexField(name, raw))));
  return { name, searchField, filterFields };
}

function parseVectorIndex(json) {
  const name = parseIndexName(json.indexDescriptor);
  const vectorField = parseIndexField(name, json.vectorField);
  const fields = new Set(json.filterFields.map((raw) => parseIndexField(name, raw)));
  const dimensions = json.dimensions ?? json.dimension; // `dimension`: the alpha's name
  if (dimensions === undefined || dimensions === null) throw fail("Missing dimensions field");
  const [min, max] = VECTOR_DIMENSIONS;
  if (dimensions < min || dimensions > max) {
    throw refuse(
      "InvalidVectorDimensionError",
      `Dimensions ${dimensions} must be between ${min} and ${max}.`,
    );
  }
  return { name, vectorField, dimensions, filterFields: checkFilterCount(fields) };
}

// parse_names_and_indexes: every index parsed in order (errors say the table); the names in
// their order; the indexes by name (a name given twice keeps the last).
function parseIndexes(t, list, parse) {
  return wrapping(
    (message) => `In table "${t}": ${message}`,
    () => {
      const names = [];
      const byName = new Map();
      for (const json of list) {
        const index = parse(json);
        names.push(index.name);
        byName.set(index.name, index);
      }
      return { names, byName };
    },
  );
}

// validate_unique_index_fields: indexes by name; two with one key are refused, the later name
// first in the message.
function checkUnique(kinds, key, notUnique) {
  const byName = new Map();
  for (const kind of kinds) for (const [name, index] of kind.byName) byName.set(name, index);
  const seen = new Map();
  for (const index of sortedValues(byName)) {
    const k = key(index);
    if (seen.has(k)) throw notUnique(index.name, seen.get(k));
    seen.set(k, index.name);
  }
}

function checkEmpty(t, indexes, staged) {
  for (const index of sortedValues(indexes.byName)) {
    if (index.fields.length === 0) {
      throw refuse(
        "EmptyIndex",
        `In table "${t}" ${staged ? "staged " : ""}index "${index.name}" must have at least ` +
          "one field.",
      );
    }
  }
}

// search_field_not_unique and vector_field_not_unique (a line break and indent included).
const notUniqueHint = (kind, field) =>
  `${kind} index fields must be unique within a table. You should combine the\n             ` +
  `indexes with the same \`${field}\` into one index containing all \`filterField\`s and ` +
  "then use different subsets of the `filterField`s at query time.";

function parseTable(json) {
  const document = json.documentType == null ? null : parseDocumentType(json.documentType);
  const t = json.tableName;
  orElse(
    () =>
      refuse(
        "InvalidTableName",
        `Invalid table name: "${t}". Identifiers must start with a letter and can only contain ` +
          "letters, digits, and underscores.",
      ),
    () => checkIdentifier(t),
  );
  if (isSystem(t)) throw refuse("TableNameReserved", `${t} is a reserved table name.`);
  const lists = {
    db: json.indexes,
    stagedDb: json.stagedDbIndexes ?? [],
    search: json.searchIndexes ?? [],
    stagedSearch: json.stagedSearchIndexes ?? [],
    vector: json.vectorIndexes ?? [],
    stagedVector: json.stagedVectorIndexes ?? [],
  };
  if (Object.values(lists).reduce((n, list) => n + list.length, 0) > MAX_INDEXES_PER_TABLE) {
    throw refuse(
      "TooManyIndexes",
      `Table "${t}" cannot have more than ${MAX_INDEXES_PER_TABLE} indexes.`,
    );
  }

  const db = parseIndexes(t, lists.db, parseDbIndex);
  checkEmpty(t, db, false);
  const stagedDb = parseIndexes(t, lists.stagedDb, parseDbIndex);
  checkEmpty(t, stagedDb, true);
  checkUnique(
    [db, stagedDb],
    (i) => JSON.stringify(i.fields),
    (a, b) =>
      refuse(
        "IndexNotUnique",
        `In table "${t}" index "${a}" and index "${b}" have the same fields. Indexes must be ` +
          "unique within a table.",
      ),
  );

  const search = parseIndexes(t, lists.search, parseSearchIndex);
  const stagedSearch = parseIndexes(t, lists.stagedSearch, parseSearchIndex);
  checkUnique(
    [search, stagedSearch],
    (i) => JSON.stringify([i.searchField, i.filterFields]),
    (a, b) =>
      refuse(
        "SearchIndexFieldNotUnique",
        `In table "${t}" search index "${a}" and search index "${b}" have the same ` +
          `\`searchField\`. ${notUniqueHint("Search", "searchField")}`,
      ),
  );

  const vector = parseIndexes(t, lists.vector, parseVectorIndex);
  const stagedVector = parseIndexes(t, lists.stagedVector, parseVectorIndex);
  checkUnique(
    [vector, stagedVector],
    (i) => JSON.stringify([i.vectorField, i.dimensions]),
    (a, b) =>
      refuse(
        "VectorIndexFieldNotUnique",
        `In table "${t}" vector index "${a}" and vector index "${b}" have the same ` +
          `\`vectorField\`. ${notUniqueHint("Vector", "vectorField")}`,
      ),
  );

  const seen = new Set();
  const kinds = [db, stagedDb, search, stagedSearch, stagedVector, vector];
  for (const name of kinds.flatMap((kind) => kind.names)) {
    // Names starting with _fivetran are let through for Fivetran's synced tables.
    const reserved = name === "by_id" || name === "by_creation_time" || isSystem(name);
    if (reserved && !name.startsWith("_fivetran")) {
      throw refuse(
        "IndexNameReserved",
        `In table "${t}" cannot name an index "${name}" because the name is reserved. Indexes ` +
          'may not start with an underscore or be named "by_id" or "by_creation_time".',
      );
    }
    if (seen.has(name)) {
      throw refuse(
        "IndexNamesNotUnique",
        `Table "${t}" has two or more definitions of index "${name}".`,
      );
    }
    seen.add(name);
  }
  return { name: t, document, db, stagedDb, search, stagedSearch, vector, stagedVector };
}

// -- Index fields and references (crates/application/src/lib.rs, schemas/mod.rs) -----------------

// _validate_user_defined_index_fields: the backend appends _creationTime to every database index.
function checkUserIndexFields(table) {
  for (const index of [...sortedValues(table.db.byName), ...sortedValues(table.stagedDb.byName)]) {
    if (index.fields.includes("_creationTime")) {
      throw refuse(
        "IndexFieldsContainCreationTime",
        "`_creationTime` is automatically added to the end of each index. It should not be " +
          "added explicitly in the index definition. See https://docs.convex.dev/using/indexes " +
          "for more details.",
      );
    }
    if (index.fields.some((f) => partsOf(f).some(isSystem))) {
      throw refuse(
        "IndexFieldNameReserved",
        "Reserved fields (starting with `_`) are not allowed in indexes.",
      );
    }
    if (index.fields.length + 1 > MAX_INDEX_FIELDS) throw tooManyFields();
  }
}

// check_index_references: database index fields, search fields, search filter fields, vector
// fields (not vector filter fields), each kind by index name.
function checkIndexReferences(table) {
  const t = table.name;
  const sorted = (kind, staged) => [...sortedValues(kind.byName), ...sortedValues(staged.byName)];
  const vectors = sorted(table.vector, table.stagedVector);
  const searches = sorted(table.search, table.stagedSearch);
  const referenced = [
    ...sorted(table.db, table.stagedDb).flatMap((i) => i.fields.map((f) => [i.name, f])),
    ...searches.map((i) => [i.name, i.searchField]),
    ...searches.flatMap((i) => i.filterFields.map((f) => [i.name, f])),
    ...vectors.map((i) => [i.name, i.vectorField]),
  ];
  if (table.document !== null) {
    for (const [name, field] of referenced) {
      if (!documentCanContain(table.document, field)) {
        throw refuse(
          "SchemaDefinitionError",
          `In table "${t}" the index "${name}" is invalid because it references the field ` +
            `"${field}" that does not exist.`,
        );
      }
    }
  }
  for (const index of vectors) {
    if (table.document !== null && !vectorEligible(table.document, index.vectorField)) {
      throw refuse(
        "SchemaDefinitionError",
        `In table "${t}" the vector index "${index.name}" is invalid because it references the ` +
          `field "${index.vectorField}" that is neither an array of float64 or optional array ` +
          "of float64.",
      );
    }
  }
}

function checkSchema(schema) {
  checkShape(schema);
  const tables = new Map();
  for (const json of schema.tables) {
    const table = parseTable(json);
    // The backend would keep the last of two tables with one name; defineSchema cannot make them.
    if (tables.has(table.name)) {
      throw refuse("TableNamesNotUnique", `Table "${table.name}" is defined twice.`);
    }
    tables.set(table.name, table);
  }
  const byName = sortedValues(tables);
  byName.forEach(checkUserIndexFields);
  if (schema.schemaValidation) byName.forEach(checkIndexReferences);
}

export function validateSchemaRules(schema) {
  try {
    checkSchema(schema);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    throw new HttpError(400, e.code ?? "InvalidSchema", PREFIX + e.message);
  }
}
