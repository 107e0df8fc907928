// Existing documents checked against a new schema's documentType, as the backend does before a
// push that turns on or narrows validation can finish. Documents are convex-test's values (bigint
// for int64, ArrayBuffer for bytes); messages quote them as Convex JSON.
import { convexToJson } from "convex/values";

function describe(value) {
  try {
    return JSON.stringify(convexToJson(value));
  } catch {
    return String(value);
  }
}

function validateValue(v, value, where) {
  const fail = (msg) => `${where}: ${msg}`;
  switch (v.type) {
    case "any":
      return null;
    case "null":
      return value === null ? null : fail(`expected null, got ${describe(value)}`);
    case "string":
      return typeof value === "string" ? null : fail(`expected a string, got ${describe(value)}`);
    case "number":
      return typeof value === "number" ? null : fail(`expected a float64, got ${describe(value)}`);
    case "bigint":
      return typeof value === "bigint" ? null : fail(`expected an int64, got ${describe(value)}`);
    case "boolean":
      return typeof value === "boolean" ? null : fail(`expected a boolean, got ${describe(value)}`);
    case "bytes":
      return value instanceof ArrayBuffer ? null : fail(`expected bytes, got ${describe(value)}`);
    case "id":
      return typeof value === "string"
        ? null
        : fail(`expected an Id<"${v.tableName}">, got ${describe(value)}`);
    case "literal": {
      const want = JSON.stringify(v.value);
      return JSON.stringify(convexToJson(value)) === want
        ? null
        : fail(`expected ${want}, got ${describe(value)}`);
    }
    case "array": {
      if (!Array.isArray(value)) return fail(`expected an array, got ${describe(value)}`);
      for (let i = 0; i < value.length; i++) {
        const e = validateValue(v.value, value[i], `${where}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "union":
      return v.value.some((option) => validateValue(option, value, where) === null)
        ? null
        : fail(`${describe(value)} matches none of the union's members`);
    case "object": {
      if (
        value === null ||
        typeof value !== "object" ||
        Array.isArray(value) ||
        value instanceof ArrayBuffer
      ) {
        return fail(`expected an object, got ${describe(value)}`);
      }
      for (const [field, { fieldType, optional }] of Object.entries(v.value)) {
        if (value[field] === undefined) {
          if (!optional) return fail(`missing required field \`${field}\``);
          continue;
        }
        const e = validateValue(fieldType, value[field], `${where}.${field}`);
        if (e) return e;
      }
      for (const field of Object.keys(value)) {
        if (!(field in v.value) && value[field] !== undefined)
          return fail(`extra field \`${field}\``);
      }
      return null;
    }
    case "record": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return fail(`expected a record, got ${describe(value)}`);
      }
      for (const [k, item] of Object.entries(value)) {
        const ek = validateValue(v.keys, k, `${where} key ${k}`);
        if (ek) return ek;
        const e = validateValue(v.values.fieldType, item, `${where}.${k}`);
        if (e) return e;
      }
      return null;
    }
    default:
      return null;
  }
}

export function findInvalidDocument(dep, schema) {
  if (!schema?.schemaValidation) return null;
  for (const table of schema.tables) {
    if (!table.documentType) continue;
    for (const doc of dep.documentsOf(table.tableName)) {
      const { _id, _creationTime, ...fields } = doc;
      const error = validateValue(table.documentType, fields, "document");
      if (error) {
        return {
          tableName: table.tableName,
          error:
            `Schema validation failed.\nDocument with ID "${_id}" in table "${table.tableName}" ` +
            `does not match the schema: ${error}`,
        };
      }
    }
  }
  return null;
}
