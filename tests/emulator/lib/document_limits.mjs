// The backend's limits on a document a function writes (ctx.db.insert, patch, replace), with its
// messages. convex-js (which the pushed functions bundle, as on Convex) already refuses field
// names ("$" first, non-ASCII or control characters, longer than 1,024) before a write leaves the
// function; the backend then refuses, in this order:
//   - an object of more than 1,024 fields or an array of more than 8,192 elements, anywhere
//     (crates/value: object.rs, array.rs; worded by with_argument_error in the insert syscall),
//     then a document of more than 1,024 fields with _id and _creationTime;
//   - a document nested more than 16 deep (crates/common/src/document.rs, TooNested);
//   - a document over 1 MiB, system fields included (check_user_size, MAX_USER_SIZE).
// Here they run just before convex-test stores the write, so after its schema check (on Convex
// the size check alone comes after the schema's).
import { getConvexSize } from "convex/values";
import { formatSize } from "./arguments.mjs";
import { ryuFloat } from "./value_formats.mjs";

const MAX_OBJECT_FIELDS = 1024;
const MAX_ARRAY_LEN = 8192;
const MAX_DOCUMENT_NESTING = 16;
const MAX_USER_SIZE = 1 << 20; // 1 MiB

const isPlainObject = (v) =>
  v !== null &&
  typeof v === "object" &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v));

// The first count limit the value breaks, in the backend's words, and the value's nesting.
function walk(value) {
  if (Array.isArray(value)) {
    let nesting = 0;
    for (const item of value) {
      const inner = walk(item);
      if (inner.problem) return inner;
      nesting = Math.max(nesting, inner.nesting);
    }
    if (value.length > MAX_ARRAY_LEN) {
      return {
        problem: `Array length is too long (${value.length} > maximum length ${MAX_ARRAY_LEN})`,
      };
    }
    return { nesting: nesting + 1 };
  }
  if (isPlainObject(value)) {
    let nesting = 0;
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    for (const [, v] of fields) {
      const inner = walk(v);
      if (inner.problem) return inner;
      nesting = Math.max(nesting, inner.nesting);
    }
    if (fields.length > MAX_OBJECT_FIELDS) {
      return {
        problem: `Object has too many fields (${fields.length} > maximum number ${MAX_OBJECT_FIELDS})`,
      };
    }
    return { nesting: nesting + 1 };
  }
  return { nesting: 0 };
}

// The backend's Display of a value, as its nesting error shows the document.
function display(value) {
  if (value === null) return "null";
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : ryuFloat(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof ArrayBuffer)
    return `b${JSON.stringify(Buffer.from(value).toString("base64"))}`;
  if (Array.isArray(value)) return `[${value.map(display).join(", ")}]`;
  if (!isPlainObject(value)) return String(value);
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${k}: ${display(value[k])}`).join(", ")}}`;
}

// Throws what the backend would for `document` (with _id and _creationTime) written by `op`
// ("db.insert", "db.patch", "db.replace"); documents of system tables are not limited.
export function checkWrite(op, document) {
  if (
    String(document._id ?? "")
      .replace(/^[0-9]+/, "")
      .startsWith("_")
  )
    return;
  const { _id, _creationTime, ...value } = document;
  const { problem, nesting } = walk(value);
  if (problem) throw new Error(`Invalid argument \`value\` for \`${op}\`: ${problem}`);
  // The system fields are then added one by one, each insertion checking the count again: a
  // new document holds at most 1,022 fields of its own.
  const total = Object.values(document).filter((v) => v !== undefined).length;
  if (total > MAX_OBJECT_FIELDS) {
    const shown = op === "db.insert" ? MAX_OBJECT_FIELDS + 1 : total;
    throw new Error(`Object has too many fields (${shown} > maximum number ${MAX_OBJECT_FIELDS})`);
  }
  if (nesting > MAX_DOCUMENT_NESTING) {
    throw new Error(
      `Document(value: ${display(document)}) isn't a valid document: Document is too nested ` +
        `(nested ${nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`,
    );
  }
  const size = getConvexSize(document);
  if (size > MAX_USER_SIZE) {
    throw new Error(
      `Value is too large (${formatSize(size)} > maximum size ${formatSize(MAX_USER_SIZE)})`,
    );
  }
}
