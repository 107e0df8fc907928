// The backend's schema rules, checked at start_push with the backend's error codes and messages
// (DESIGN.md, "Convex facts"). The `convex` package checks none of them, so without this a schema
// the real backend refuses would deploy fine here.
import { HttpError } from "./http.mjs";

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_INDEX_FIELDS = 15;
const MAX_FILTER_FIELDS = 16;

function schemaError(code, message) {
  return new HttpError(400, code, message);
}

function checkIdentifier(value) {
  if (
    typeof value !== "string" ||
    !IDENTIFIER.test(value) ||
    value.length > 64 ||
    /^_+$/.test(value)
  ) {
    return false;
  }
  return true;
}

function fieldExists(documentType, fieldPath) {
  // Mirrors the backend's `can_contain_field`: follow objects (and unions of objects).
  if (!documentType) return true;
  const parts = fieldPath.split(".");
  const walk = (validator, i) => {
    if (i === parts.length) return true;
    if (!validator) return false;
    switch (validator.type) {
      case "any":
        return true;
      case "object": {
        const field = validator.value[parts[i]];
        return field !== undefined && walk(field.fieldType, i + 1);
      }
      case "union":
        return validator.value.some((v) => walk(v, i));
      default:
        return false;
    }
  };
  return walk(documentType, 0);
}

function fieldValidator(documentType, fieldPath) {
  let v = documentType;
  for (const part of fieldPath.split(".")) {
    if (!v || v.type !== "object" || !v.value[part]) return null;
    v = v.value[part].fieldType;
  }
  return v;
}

export function validateSchemaRules(schema) {
  const tableNames = new Set();
  for (const table of schema.tables) {
    const t = table.tableName;
    if (!checkIdentifier(t)) {
      throw schemaError(
        "InvalidTableName",
        `Invalid table name: "${t}". Identifiers must start with a letter and can only contain ` +
          "letters, digits, and underscores.",
      );
    }
    if (t.startsWith("_")) throw schemaError("TableNameReserved", `${t} is a reserved table name.`);
    if (tableNames.has(t))
      throw schemaError("TableNamesNotUnique", `Table "${t}" is defined twice.`);
    tableNames.add(t);

    const db = [...(table.indexes ?? []), ...(table.stagedDbIndexes ?? [])];
    const search = [...(table.searchIndexes ?? []), ...(table.stagedSearchIndexes ?? [])];
    const vector = [...(table.vectorIndexes ?? []), ...(table.stagedVectorIndexes ?? [])];
    const names = new Set();
    for (const index of [...db, ...search, ...vector]) {
      const name = index.indexDescriptor;
      if (
        name === "by_id" ||
        name === "by_creation_time" ||
        (typeof name === "string" && name.startsWith("_"))
      ) {
        throw schemaError(
          "IndexNameReserved",
          `In table "${t}" cannot name an index "${name}" because the name is reserved. Indexes ` +
            'may not start with an underscore or be named "by_id" or "by_creation_time".',
        );
      }
      if (!checkIdentifier(name)) {
        throw schemaError(
          "InvalidIndexName",
          `Invalid index name: "${name}". Identifiers must be 64 characters or less, start with ` +
            "a letter, and only contain letters, digits, underscores.",
        );
      }
      if (names.has(name)) {
        throw schemaError(
          "IndexNamesNotUnique",
          `Table "${t}" has two or more definitions of index "${name}".`,
        );
      }
      names.add(name);
    }
    const checkField = (index, field) => {
      for (const part of String(field).split(".")) {
        if (part === "_id" && field === "_id") {
          throw schemaError(
            "IndexFieldsContainId",
            "`_id` is not a valid index field. To load documents by ID, use `db.get(id)`.",
          );
        }
        if (field === "_creationTime") {
          throw schemaError(
            "IndexFieldsContainCreationTime",
            "`_creationTime` is automatically added to the end of each index. It should not be " +
              "added explicitly in the index definition. See https://docs.convex.dev/using/indexes " +
              "for more details.",
          );
        }
        if (part.startsWith("_")) {
          throw schemaError(
            "IndexFieldNameReserved",
            "Reserved fields (starting with `_`) are not allowed in indexes.",
          );
        }
        if (!checkIdentifier(part)) {
          throw schemaError(
            "InvalidIndexField",
            `In index "${t}.${index.indexDescriptor}": Invalid index field: "${field}"`,
          );
        }
      }
    };
    const fieldLists = new Map();
    for (const index of db) {
      const fields = index.fields ?? [];
      if (fields.length === 0) {
        throw schemaError(
          "EmptyIndex",
          `In table "${t}" index "${t}.${index.indexDescriptor}" must have at least one field.`,
        );
      }
      if (fields.length > MAX_INDEX_FIELDS) {
        throw schemaError(
          "IndexTooManyFields",
          `Indexes may have up to ${MAX_INDEX_FIELDS + 1} fields.`,
        );
      }
      const seen = new Set();
      for (const f of fields) {
        checkField(index, f);
        if (seen.has(f)) {
          throw schemaError(
            "FieldsNotUniqueWithinIndex",
            `Duplicate field ${f}. Index fields must be unique within an index.`,
          );
        }
        seen.add(f);
      }
      const key = JSON.stringify(fields);
      if (fieldLists.has(key)) {
        throw schemaError(
          "IndexNotUnique",
          `In table "${t}" index "${t}.${fieldLists.get(key)}" and index ` +
            `"${t}.${index.indexDescriptor}" have the same fields. Indexes must be unique within a table.`,
        );
      }
      fieldLists.set(key, index.indexDescriptor);
    }
    for (const index of search) {
      if (typeof index.searchField !== "string") {
        throw schemaError(
          "InvalidSearchIndex",
          `Search index "${t}.${index.indexDescriptor}" needs one searchField.`,
        );
      }
      checkField(index, index.searchField);
      const filters = index.filterFields ?? [];
      if (filters.length > MAX_FILTER_FIELDS) {
        throw schemaError(
          "IndexTooManyFilterFields",
          `Search indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`,
        );
      }
      filters.forEach((f) => checkField(index, f));
    }
    for (const index of vector) {
      const dims = index.dimensions;
      if (!Number.isInteger(dims) || dims < 2 || dims > 4096) {
        throw schemaError(
          "InvalidVectorDimensionError",
          `Dimensions ${dims} must be between 2 and 4096 (in vector index "${t}.${index.indexDescriptor}").`,
        );
      }
      checkField(index, index.vectorField);
      const filters = index.filterFields ?? [];
      if (filters.length > MAX_FILTER_FIELDS) {
        throw schemaError(
          "IndexTooManyFilterFields",
          `Vector indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`,
        );
      }
      filters.forEach((f) => checkField(index, f));
    }
    if (schema.schemaValidation && table.documentType) {
      const referenced = [
        ...db.flatMap((i) => i.fields.map((f) => [i.indexDescriptor, f])),
        ...search.flatMap((i) =>
          [i.searchField, ...(i.filterFields ?? [])].map((f) => [i.indexDescriptor, f]),
        ),
        ...vector.flatMap((i) =>
          [i.vectorField, ...(i.filterFields ?? [])].map((f) => [i.indexDescriptor, f]),
        ),
      ];
      for (const [name, field] of referenced) {
        if (!fieldExists(table.documentType, field)) {
          throw schemaError(
            "SchemaDefinitionError",
            `In table "${t}" the index "${name}" is invalid because it references the field ` +
              `${field} that does not exist.`,
          );
        }
      }
      for (const index of vector) {
        const v = fieldValidator(table.documentType, index.vectorField);
        if (!(v?.type === "array" && v.value?.type === "number")) {
          throw schemaError(
            "SchemaDefinitionError",
            `In table "${t}" the vector index "${index.indexDescriptor}" is invalid because it ` +
              `references the field ${index.vectorField} that is neither an array of float64 or ` +
              "optional array of float64.",
          );
        }
      }
    }
  }
}
