// Function results as the backend writes them (crates/value/src/export.rs, json/mod.rs): in the
// request's `format`, or without one the format its client version implies; object keys sorted
// (a ConvexObject is a BTreeMap) and float64s as serde_json writes them (ryu: 3.0, 1e21).
//   convex_encoded_json (or convex_json): lossless; {"$integer"}, {"$float"}, {"$bytes"}
//   json (or convex_clean_json): int64 -> decimal string, bytes -> base64 string,
//     NaN/±Inf -> "NaN"/"Infinity"/"-Infinity"
//   export_json: int64 -> a JSON integer, NaN/±Inf -> {"$float"}, bytes -> {"$bytes"}
import { convexToJson } from "convex/values";
import { HttpError } from "./http.mjs";

const FORMATS = {
  convex_encoded_json: "encoded",
  convex_json: "encoded",
  json: "clean",
  convex_clean_json: "clean",
  export_json: "export",
};

// A JSON text to send as it is (sendJson would re-serialize it).
export class RawJson {
  constructor(text) {
    this.text = text;
  }
}

// The request's format -> ours; an unknown one is the backend's 400 BadFormat.
export function parseFormat(format) {
  if (format === undefined || format === null) return null;
  const ours = FORMATS[format];
  if (!ours) {
    throw new HttpError(400, "BadFormat", `format param must be one of [\`json\`]. Got ${format}`);
  }
  return ours;
}

// crates/common/src/version.rs: without a format, clients older than these thresholds get the
// encoded format; every other client (or none: no Convex-Client header) gets clean JSON.
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const THRESHOLDS = { npm: [1, 4, 1], "npm-cli": [1, 4, 1], actions: [1, 4, 1] };
THRESHOLDS.python = THRESHOLDS["python-convex"] = [0, 5, 0];

export function defaultFormat(req) {
  const header = req.headers["convex-client"];
  if (header === undefined) return "clean";
  const parts = header.split("-");
  if (parts.length < 2) {
    throw new HttpError(
      400,
      "InvalidClientVersion",
      `Failed to parse client version string: '${header}'. Expected format is ` +
        "{client_name}-{semver}, e.g. my-esolang-client-0.0.1",
    );
  }
  for (let n = 1; n < parts.length; n++) {
    const match = SEMVER.exec(parts.slice(n).join("-"));
    if (!match) continue;
    const threshold = THRESHOLDS[parts.slice(0, n).join("-")];
    if (!threshold) return "clean";
    const version = [Number(match[1]), Number(match[2]), Number(match[3])];
    const cmp = version.map((v, i) => v - threshold[i]).find((d) => d !== 0) ?? 0;
    const atLeast = cmp > 0 || (cmp === 0 && !match[4]);
    return atLeast ? "clean" : "encoded";
  }
  return "clean"; // an unrecognized version counts as new
}

// ryu, as serde_json writes an f64: "3.0", "0.001", "1e16", "1.5e-7".
export function ryuFloat(n) {
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const sign = n < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const kk = Number(exp) + 1; // 10^(kk-1) <= |n| < 10^kk
  const k = kk - digits.length;
  let text;
  if (k >= 0 && kk <= 16) text = digits + "0".repeat(k) + ".0";
  else if (kk > 0 && kk <= 16) text = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  else if (kk > -5 && kk <= 0) text = `0.${"0".repeat(-kk)}${digits}`;
  else if (digits.length === 1) text = `${digits}e${kk - 1}`;
  else text = `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
  return sign + text;
}

function int64Of(base64) {
  return Buffer.from(base64, "base64").readBigInt64LE(0);
}

function floatOf(base64) {
  return Buffer.from(base64, "base64").readDoubleLE(0);
}

// Writes convexToJson's output (where a one-key {"$integer"|"$float"|"$bytes"} object is that
// type: a Convex object never has a $ key) in `format`.
function write(json, format) {
  if (json === null || typeof json === "boolean") return String(json);
  if (typeof json === "number") return ryuFloat(json);
  if (typeof json === "string") return JSON.stringify(json);
  if (Array.isArray(json)) return `[${json.map((v) => write(v, format)).join(",")}]`;
  const keys = Object.keys(json);
  if (keys.length === 1 && format !== "encoded") {
    const [key] = keys;
    if (key === "$integer") {
      const n = int64Of(json.$integer);
      return format === "clean" ? `"${n}"` : String(n);
    }
    if (key === "$bytes" && format === "clean") return JSON.stringify(json.$bytes);
    if (key === "$float" && format === "clean") {
      const n = floatOf(json.$float);
      if (Number.isNaN(n)) return '"NaN"';
      if (!Number.isFinite(n)) return n > 0 ? '"Infinity"' : '"-Infinity"';
      return ryuFloat(n); // -0.0 is a plain number in clean JSON
    }
    if (key === "$float" && Object.is(floatOf(json.$float), -0)) return "-0.0";
  }
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${write(json[k], format)}`).join(",")}}`;
}

// A function's value (convex-test's JS value) -> JSON text in `format`. convexToJson refuses
// what Convex cannot return, as the function's own runtime would.
export function exportValue(value, format) {
  return write(convexToJson(value === undefined ? null : value), format);
}

// Convex's envelope, as text: {status, value, logLines?} or {status, errorMessage, errorData?,
// logLines?}, in the backend's key order.
export function envelopeText(result, format) {
  const parts = [`"status":${JSON.stringify(result.status)}`];
  if (result.status === "success") {
    parts.push(`"value":${exportValue(result.value, format)}`);
  } else {
    parts.push(`"errorMessage":${JSON.stringify(result.errorMessage)}`);
    if (result.errorData !== undefined) {
      parts.push(`"errorData":${exportValue(result.errorData, format)}`);
    }
  }
  if (result.logLines?.length) parts.push(`"logLines":${JSON.stringify(result.logLines)}`);
  return `{${parts.join(",")}}`;
}
