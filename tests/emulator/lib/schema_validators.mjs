// Validators as the backend reads a document validator (Validator::try_from and
// DocumentSchema::try_from in crates/common/src/schemas/json.rs): the JSON's shape, field names,
// records, the top-level type, how the backend shows a validator in a message; and the two
// questions index references ask of a document (crates/common/src/schemas/validator.rs).
import { byBytes, fail, refuse, wrapping } from "./schema_errors.mjs";
import { checkIdentifier, checkIdentifierFieldName, isSystem, partsOf } from "./schema_names.mjs";

const SEE_SCHEMA_DOCS =
  "To learn more, see the schema documentation at https://docs.convex.dev/database/schemas.";
const SIMPLE_TYPES = new Set([
  "null",
  "number",
  "bigint",
  "commitTs",
  "boolean",
  "string",
  "bytes",
]);
const ANY_TYPES = new Set(["any", "map", "set"]);

// Whether serde would read `v` as a ValidatorJson at all.
export function isValidatorJson(v) {
  const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);
  const string = (x) => typeof x === "string";
  const listOf = (x, item) => Array.isArray(x) && x.every(item);
  const fieldType = (f) =>
    isObject(f) && typeof f.optional === "boolean" && "fieldType" in f && validator(f.fieldType);
  const validator = (v) => {
    if (!isObject(v) || !string(v.type)) return false;
    if (SIMPLE_TYPES.has(v.type) || ANY_TYPES.has(v.type)) return true;
    switch (v.type) {
      case "literal":
        return v.value !== undefined;
      case "id":
        return string(v.tableName);
      case "array":
        return validator(v.value);
      case "record":
        return validator(v.keys) && fieldType(v.values);
      case "object":
        return isObject(v.value) && Object.values(v.value).every(fieldType);
      case "union":
        return listOf(v.value, validator);
      default:
        return false;
    }
  };
  return validator(v);
}

function parseLiteral(value) {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
    return value;
  }
  const keys = value !== null && typeof value === "object" ? Object.keys(value) : [];
  if (keys.length === 1 && keys[0] === "$integer") return { $integer: value.$integer };
  throw fail(`Value ${JSON.stringify(value)} is not a valid literal.`);
}

// The keys of a record: v.string(), v.id(), string literals, and unions of those.
function isStringSubset(v) {
  switch (v.type) {
    case "string":
    case "id":
      return true;
    case "literal":
      return typeof v.value === "string";
    case "union":
      return v.value.every(isStringSubset);
    default:
      return false;
  }
}

function hasStringLiteral(v) {
  if (v.type === "literal") return typeof v.value === "string";
  return v.type === "union" && v.value.some(hasStringLiteral);
}

function parseFieldType(json) {
  return { validator: parseValidator(json.fieldType), optional: json.optional };
}

// An object's fields, by name: each name an IdentifierFieldName, each validator parsed.
function parseObject(value) {
  const fields = new Map();
  for (const name of Object.keys(value).sort(byBytes)) {
    checkIdentifierFieldName(name);
    const field = wrapping(
      (message) => `Invalid validator for key \`${name}\`: ${message}`,
      () => parseFieldType(value[name]),
    );
    fields.set(name, field);
  }
  return { type: "object", fields };
}

function parseValidator(json) {
  if (SIMPLE_TYPES.has(json.type)) return { type: json.type };
  switch (json.type) {
    case "literal":
      return { type: "literal", value: parseLiteral(json.value) };
    case "id":
      checkIdentifier(json.tableName);
      return { type: "id", tableName: json.tableName };
    case "array":
      return { type: "array", value: parseValidator(json.value) };
    case "record": {
      const keys = parseValidator(json.keys);
      if (!isStringSubset(keys)) {
        throw refuse(
          "InvalidRecordType",
          "Records can only have string keys. Your validator contains a record with key typed " +
            `as \`${display(keys)}\`, which is not a subtype of \`v.string()\``,
        );
      }
      const values = parseFieldType(json.values);
      if (hasStringLiteral(keys)) {
        throw refuse("InvalidRecordType", "Records cannot have string literal keys");
      }
      if (values.optional) {
        throw refuse("InvalidRecordType", "Records cannot have optional values");
      }
      return { type: "record", keys, values: values.validator };
    }
    case "object":
      return parseObject(json.value);
    case "union":
      return { type: "union", value: json.value.map(parseValidator) };
    default: // any, and its old names map and set
      return { type: "any" };
  }
}

function displayLiteral(value) {
  if (typeof value === "object") return "<bigint>";
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e16) {
    return Object.is(value, -0) ? "-0.0" : `${value}.0`; // serde_json writes floats so
  }
  return typeof value === "number" ? String(value).replace("e+", "e") : JSON.stringify(value);
}

// How the backend shows a validator in a message (`impl Display for Validator`).
function display(v) {
  switch (v.type) {
    case "id":
      return `v.id("${v.tableName}")`;
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "literal":
      return `v.literal(${displayLiteral(v.value)})`;
    case "array":
      return `v.array(${display(v.value)})`;
    case "record":
      return `v.record(${display(v.keys)}, ${display(v.values)})`;
    case "object": {
      const fields = [...v.fields].map(([name, f]) => {
        const shown = display(f.validator);
        return `${name}: ${f.optional ? `v.optional(${shown})` : shown}`;
      });
      return `v.object({${fields.join(", ")}})`;
    }
    case "union":
      return `v.union(${v.value.map(display).join(", ")})`;
    default: // null, commitTs, boolean, string, bytes, any
      return `v.${v.type}()`;
  }
}

function invalidTopLevelType(v) {
  return refuse(
    "InvalidTopLevelTypeInSchemaError",
    "The document validator in a schema must be an object, a union of objects, or `v.any()`. " +
      `Found ${display(v)}. ${SEE_SCHEMA_DOCS}`,
  );
}

// The backend drops top-level system fields from a document's objects (filter_system_fields).
function withoutSystemFields(object) {
  const fields = new Map([...object.fields].filter(([name]) => !isSystem(name)));
  return { type: "object", fields };
}

// DocumentSchema: "any", or a list of objects (a union of them, or one).
export function parseDocumentType(json) {
  const v = parseValidator(json);
  if (v.type === "any") return "any";
  if (v.type === "object") return [withoutSystemFields(v)];
  if (v.type !== "union") throw invalidTopLevelType(v);
  return v.value.map((member) => {
    if (member.type !== "object") throw invalidTopLevelType(member);
    return withoutSystemFields(member);
  });
}

// Validator::_can_contain_field: objects (and unions of them) lead on; any holds anything.
function canContain(v, parts) {
  if (parts.length === 0) return true;
  switch (v.type) {
    case "any":
      return true;
    case "union":
      return v.value.some((member) => canContain(member, parts));
    case "object": {
      const field = v.fields.get(parts[0]);
      return field !== undefined && canContain(field.validator, parts.slice(1));
    }
    default:
      return false;
  }
}

// DocumentSchema::can_contain_field: a top-level system field is always there.
export function documentCanContain(document, path) {
  const parts = partsOf(path);
  if (parts.length === 1 && isSystem(parts[0])) return true;
  return document === "any" || document.some((object) => canContain(object, parts));
}

// Validator::_overlaps_with_array_float64: could the field hold an array of float64? A field an
// object does not name counts as yes (it was found in another member).
function isVectorValidator(v) {
  if (v.type === "array") return v.value.type === "number" || v.value.type === "any";
  if (v.type === "union") return v.value.some(isVectorValidator);
  return v.type === "any";
}

function overlapsArrayFloat64(v, parts) {
  if (parts.length === 0) return isVectorValidator(v);
  switch (v.type) {
    case "any":
      return true;
    case "union":
      return v.value.some((member) => overlapsArrayFloat64(member, parts));
    case "object": {
      const field = v.fields.get(parts[0]);
      return field === undefined || overlapsArrayFloat64(field.validator, parts.slice(1));
    }
    default:
      return false;
  }
}

export function vectorEligible(document, path) {
  return document === "any" || document.some((o) => overlapsArrayFloat64(o, partsOf(path)));
}
