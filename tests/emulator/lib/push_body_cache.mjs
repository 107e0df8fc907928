// Push bodies sent to many deployments: the control plane compresses a package's push body once
// and appends each deployment's key as the stream's last (uncompressed) meta-block, so the bytes
// before the key are the same for every deployment it is pushed to. Those bytes are decompressed
// and parsed once per content hash here; each request gets the parsed body with its own key.
import crypto from "node:crypto";

const PARSED = new Map(); // sha256 of the bytes before the key -> the body without its key
const MAX_ENTRIES = 16;
const LAST_EMPTY_META_BLOCK = 0x03; // ISLAST=1, ISLASTEMPTY=1

// The key the request carries in its Authorization header, and the compressed bytes before it,
// when the body ends with exactly that key (`{..."adminKey":` + JSON key + `}`) stored as an
// uncompressed meta-block; null for any other body (the CLI's: decoded as usual).
function splitKeyedBody(req, raw) {
  const auth = req.headers.authorization ?? "";
  if (!auth.startsWith("Convex ")) return null;
  const key = auth.slice("Convex ".length);
  const tail = Buffer.from(JSON.stringify(key) + "}");
  if (tail.length > 1 << 16 || raw.length < tail.length + 4) return null;
  const at = raw.length - tail.length - 4;
  const header = Buffer.alloc(3);
  header.writeUIntLE(((tail.length - 1) << 3) | (1 << 19), 0, 3); // ISUNCOMPRESSED, MLEN-1
  if (raw[raw.length - 1] !== LAST_EMPTY_META_BLOCK) return null;
  if (!raw.subarray(at, at + 3).equals(header)) return null;
  if (!raw.subarray(at + 3, raw.length - 1).equals(tail)) return null;
  return { key, prefix: raw.subarray(0, at) };
}

function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// `decode(raw)` -> parsed body, called only when this body's content was not seen before.
// Cached bodies are frozen (handlers read them, never change them).
export function parseKeyedBody(req, raw, decode) {
  const split = splitKeyedBody(req, raw);
  if (!split) return decode(raw);
  const digest = crypto.createHash("sha256").update(split.prefix).digest("hex");
  const seen = PARSED.get(digest);
  if (seen) return { ...seen, adminKey: split.key };
  const body = decode(raw);
  if (!body || typeof body !== "object" || Array.isArray(body) || body.adminKey !== split.key) {
    return body;
  }
  const { adminKey: _key, ...rest } = body;
  PARSED.set(digest, deepFreeze(rest));
  if (PARSED.size > MAX_ENTRIES) PARSED.delete(PARSED.keys().next().value);
  return { ...rest, adminKey: split.key };
}
