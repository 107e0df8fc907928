// Admin keys: minting them, reading them from a request (header or body, as Convex accepts), and
// Convex's BadDeployKey answer. A revoked_key fault makes every key look wrong.
import crypto from "node:crypto";
import { HttpError } from "./http.mjs";

export function newAdminKey(name) {
  return `${name}|${crypto.randomBytes(32).toString("hex")}`;
}

export function badKey(dep) {
  return new HttpError(
    403,
    "BadDeployKey",
    `The provided deploy key was invalid for deployment '${dep.name}'. Double check that the ` +
      "environment this key was generated for matches the desired deployment.",
  );
}

// The key from `Authorization: Convex <key>`; null without the header; {invalid} for another
// scheme, which callers treat as "no key" rather than as a wrong one.
function headerKey(req) {
  const header = req.headers["authorization"];
  if (!header) return null;
  const match = /^Convex\s+(.+)$/.exec(header.trim());
  return match ? match[1] : { invalid: header };
}

function keyMatches(dep, key, revoked) {
  if (typeof key !== "string" || revoked) return false;
  const a = Buffer.from(key);
  const b = Buffer.from(dep.adminKey);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// Admin endpoints: the header's key, else the body's adminKey, must be the deployment's.
export function requireAdmin(dep, req, body, revoked) {
  const fromHeader = headerKey(req);
  const key = typeof fromHeader === "string" ? fromHeader : body?.adminKey;
  if (!keyMatches(dep, key, revoked)) throw badKey(dep);
}

// Function calls need no key, but one that is sent must be right; it lets internal functions run.
export function callerIsAdmin(dep, req, revoked) {
  const fromHeader = headerKey(req);
  if (typeof fromHeader !== "string") return false;
  if (!keyMatches(dep, fromHeader, revoked)) throw badKey(dep);
  return true;
}
