// Names as the backend parses them: identifiers (tables, indexes, field-path parts), field names
// and field paths (crates/convex/sync_types/src/identifier.rs, crates/value/src/field_name.rs,
// crates/value/src/field_path.rs), with the backend's messages.
import { fail } from "./schema_errors.mjs";

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_IDENTIFIER_LEN = 64;
const MAX_FIELD_NAME_LEN = 1024;

// How Rust's {:?} shows a char.
function debugChar(c) {
  const escapes = { "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };
  if (escapes[c]) return `'${escapes[c]}'`;
  const code = c.codePointAt(0);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `'\\u{${code.toString(16)}}'`;
  return `'${c}'`;
}

// check_valid_identifier: a letter or _, then letters, digits and _; at most 64; not all _.
export function checkIdentifier(s) {
  if (IDENTIFIER.test(s) && s.length <= MAX_IDENTIFIER_LEN && !/^_+$/.test(s)) return;
  const chars = [...s];
  if (chars.length === 0) throw fail("Identifier cannot be empty");
  if (!/^[A-Za-z_]$/.test(chars[0])) {
    throw fail(
      `Invalid first character ${debugChar(chars[0])} in ${s}: Identifiers must start with an ` +
        "alphabetic character or underscore",
    );
  }
  for (const c of chars.slice(1)) {
    if (!/^[A-Za-z0-9_]$/.test(c)) {
      throw fail(
        `Identifier ${s} has invalid character ${debugChar(c)}: Identifiers can only contain ` +
          "alphanumeric characters or underscores",
      );
    }
  }
  if (s.length > MAX_IDENTIFIER_LEN) {
    throw fail(`Identifier is too long (${s.length} > maximum ${MAX_IDENTIFIER_LEN})`);
  }
  throw fail(`Identifier ${s} cannot have exclusively underscores`);
}

// check_valid_field_name: not $-prefixed, non-control ASCII, at most 1024 bytes. The problem in
// the backend's words, or null for a valid name.
export function fieldNameProblem(s) {
  if (s.startsWith("$")) return `Field name ${s} starts with '$', which is reserved.`;
  for (const c of s) {
    const code = c.codePointAt(0);
    if (code > 0x7f || code < 0x20 || code === 0x7f) {
      return (
        `Field name ${s} has invalid character ${debugChar(c)}: Field names can only contain ` +
        "non-control ASCII characters"
      );
    }
  }
  const length = Buffer.byteLength(s);
  if (length > MAX_FIELD_NAME_LEN) {
    return `Field name is too long (${length} > maximum ${MAX_FIELD_NAME_LEN})`;
  }
  return null;
}

function checkFieldName(s) {
  const problem = fieldNameProblem(s);
  if (problem) throw fail(problem);
}

// IdentifierFieldName: a field name that is also an identifier.
export function checkIdentifierFieldName(s) {
  checkFieldName(s);
  checkIdentifier(s);
}

// FieldPath::from_str: dots at either end are trimmed; every part is an IdentifierFieldName.
// Returns the path as it is compared and shown ("a.b").
export function parseFieldPath(raw) {
  const trimmed = raw.replace(/^\.+|\.+$/g, "");
  if (trimmed === "") throw fail(`Empty path ${raw}`);
  const parts = trimmed.split(".");
  parts.forEach(checkIdentifierFieldName);
  return parts.join(".");
}
export const partsOf = (path) => path.split(".");
export const isSystem = (name) => name.startsWith("_");
