// Function arguments as the backend parses them, whatever the request's `format` says: JSON
// numbers are float64, {"$integer": base64 of a little-endian i64} an int64 (BigInt),
// {"$bytes": base64} bytes (ArrayBuffer), {"$float": base64 of a little-endian f64} NaN, ±Inf or
// -0. Anything else is an object whose keys must be field names. The backend
// (crates/value/src/json/mod.rs, crates/udf/src/helpers.rs) refuses malformed values with the
// function error "Invalid arguments for <module>.js:<name>: <reason>"; the reasons here are its
// words (serde_json, base64 0.13, crates/value).
import { fieldNameProblem } from "./schema_names.mjs";

const MAX_ARRAY_LEN = 8192;
const MAX_OBJECT_FIELDS = 1024;
const MAX_VALUE_SIZE = 1 << 25; // 32 MiB: any value
const MAX_VALUE_NESTING = 64;
const MAX_ARGS_SIZE = 1 << 24; // 16 MiB: a function's arguments

class InvalidValue extends Error {}

// humansize's BINARY format, as the backend prints sizes: "1 MiB", "1.91 MiB", "512 B".
export function formatSize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  return `${text} ${units[unit]}`;
}

// base64 0.13 `decode` (standard alphabet, padding optional), with its errors' words.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 61; // "="

function decodeBase64(text) {
  const bytes = Buffer.from(text, "utf8");
  const invalid = (offset, byte) => new InvalidValue(`Invalid byte ${byte}, offset ${offset}.`);
  const isSymbol = (b) => b < 128 && ALPHABET.includes(String.fromCharCode(b));
  if (bytes.length % 4 === 1) {
    const last = bytes[bytes.length - 1];
    if (last !== PAD && !isSymbol(last)) throw invalid(bytes.length - 1, last);
    throw new InvalidValue("Encoded text cannot have a 6-bit remainder.");
  }
  let firstPad = -1;
  let symbols = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === PAD) {
      if (i % 4 < 2) throw invalid(firstPad >= 0 ? firstPad : i, PAD);
      if (firstPad < 0) firstPad = i;
      continue;
    }
    if (firstPad >= 0) throw invalid(firstPad, PAD);
    if (!isSymbol(b)) throw invalid(i, b);
    symbols += 1;
  }
  if (symbols % 4 === 1) throw new InvalidValue("Encoded text cannot have a 6-bit remainder.");
  // The last symbol may not carry bits that no byte holds.
  const spare = { 2: 0b1111, 3: 0b11 }[symbols % 4];
  if (spare !== undefined) {
    const last = bytes[symbols - 1];
    if (ALPHABET.indexOf(String.fromCharCode(last)) & spare) {
      throw new InvalidValue(`Invalid last symbol ${last}, offset ${symbols - 1}.`);
    }
  }
  return Buffer.from(bytes.subarray(0, symbols).toString("latin1"), "base64");
}

// serde_json's "invalid type" words for a JSON value where a string was expected.
function unexpected(value) {
  if (value === null) return "null";
  if (typeof value === "boolean") return `boolean \`${value}\``;
  if (typeof value === "number") {
    return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  }
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return Array.isArray(value) ? "sequence" : "map";
}

function encodedString(value) {
  if (typeof value !== "string") {
    throw new InvalidValue(`invalid type: ${unexpected(value)}, expected a string`);
  }
  return value;
}

// Rust's Display for f64: the shortest digits that round-trip, never an exponent.
export function rustDisplayFloat(n) {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  const [mantissa, exp] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const point = Number(exp) + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function eightBytes(text, kind) {
  const bytes = decodeBase64(encodedString(text));
  if (bytes.length !== 8) throw new InvalidValue(`${kind} must be exactly eight bytes`);
  return bytes;
}

const isSpecial = (n) => !Number.isFinite(n) || Object.is(n, -0);

// One JSON value -> {value, size, nesting} (the backend's size and nesting of it).
function parse(json) {
  if (json === null) return { value: null, size: 1, nesting: 0 };
  if (typeof json === "boolean") return { value: json, size: 1, nesting: 0 };
  if (typeof json === "number") return { value: json, size: 9, nesting: 0 };
  if (typeof json === "string") {
    return { value: json, size: 2 + Buffer.byteLength(json), nesting: 0 };
  }
  if (Array.isArray(json)) {
    const items = json.map(parse);
    return composite(
      items.map((i) => i.value),
      2 + items.reduce((a, i) => a + i.size, 0),
      items,
      () => {
        if (items.length > MAX_ARRAY_LEN) {
          throw new InvalidValue(
            `Array length is too long (${items.length} > maximum length ${MAX_ARRAY_LEN})`,
          );
        }
      },
    );
  }
  const keys = Object.keys(json);
  if (keys.length === 1) {
    const [key] = keys;
    if (key === "$bytes") {
      const bytes = decodeBase64(encodedString(json.$bytes));
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
      return { value: buffer, size: 2 + bytes.length, nesting: 0 };
    }
    if (key === "$integer") {
      return { value: eightBytes(json.$integer, "Int64").readBigInt64LE(0), size: 9, nesting: 0 };
    }
    if (key === "$float") {
      const n = eightBytes(json.$float, "Float64").readDoubleLE(0);
      if (!isSpecial(n) && n !== 0) {
        throw new InvalidValue(`Float64 ${rustDisplayFloat(n)} should be encoded as a number`);
      }
      return { value: n, size: 9, nesting: 0 };
    }
  }
  const out = {};
  const fields = [];
  let size = 2;
  for (const key of keys) {
    const problem = fieldNameProblem(key);
    if (problem) throw new InvalidValue(problem);
    const field = parse(json[key]);
    fields.push(field);
    out[key] = field.value;
    size += Buffer.byteLength(key) + 1 + field.size;
  }
  return composite(out, size, fields, () => {
    if (keys.length > MAX_OBJECT_FIELDS) {
      throw new InvalidValue(
        `Object has too many fields (${keys.length} > maximum number ${MAX_OBJECT_FIELDS})`,
      );
    }
  });
}

// An array or object's checks, in the backend's order: count, size, nesting.
function composite(value, size, children, checkCount) {
  checkCount();
  if (size > MAX_VALUE_SIZE) {
    throw new InvalidValue(
      `Value is too large (${formatSize(size)} > maximum size ${formatSize(MAX_VALUE_SIZE)})`,
    );
  }
  const nesting = 1 + children.reduce((a, c) => Math.max(a, c.nesting), 0);
  if (nesting > MAX_VALUE_NESTING) {
    throw new InvalidValue(
      `Value is too nested (nested ${nesting} levels deep > maximum nesting ${MAX_VALUE_NESTING})`,
    );
  }
  return { value, size, nesting };
}

// The request's `args` (an object, or the legacy array of positional arguments) -> the one
// argument object the function gets, or {error} with the backend's message.
export function parseArgs(canonicalPath, args) {
  const positional = Array.isArray(args) ? args : [args ?? {}];
  let parsed;
  try {
    parsed = parse(positional);
  } catch (e) {
    if (!(e instanceof InvalidValue)) throw e;
    return { error: `Invalid arguments for ${canonicalPath}: ${e.message}` };
  }
  if (parsed.size > MAX_ARGS_SIZE) {
    return {
      error:
        `Arguments for ${canonicalPath} are too large (actual: ${formatSize(parsed.size)}, ` +
        `limit: ${formatSize(MAX_ARGS_SIZE)})`,
    };
  }
  return { value: parsed.value[0] ?? {} };
}
