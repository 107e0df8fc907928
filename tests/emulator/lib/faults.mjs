// Faults on demand, per deployment and endpoint ("*" for all): what the control API accepts, and
// what a deployment does with them before it routes a request. Kinds that answer for the endpoint
// (latency, status, hang, drop) act here; the others are states that the auth check
// (revoked_key), function calls (paused), wait_for_schema (race, schema_failure) and the
// request's end (drop_after_commit: the handler runs, then the connection is destroyed) read;
// slow_ms makes each function the request runs take that much longer, holding its slot.
import { HttpError, sendJson, sendText, sleep } from "./http.mjs";

// Unknown kinds are refused so a typo cannot make a fault test pass vacuously.
const FAULT_KINDS = new Set([
  "latency_ms",
  "status",
  "body",
  "hang",
  "drop",
  "drop_after_commit",
  "overloaded",
  "slow_ms",
  "schema_failure",
  "race",
  "revoked_key",
  "paused",
  "times",
  "every",
]);

// What a deployment too busy to commit answers (crates/database/src/metrics.rs,
// committer_full_error: ErrorMetadata::overloaded, so HTTP 503).
const OVERLOADED = {
  code: "CommitterFullError",
  message:
    "Too many concurrent commits in a short period of time. Spread your writes out over time " +
    "or throttle them to avoid errors.",
};

// Sockets of requests that never get an answer; closed at shutdown so the process can exit.
const hangingSockets = new Set();

export function destroyHangingSockets() {
  for (const s of hangingSockets) s.destroy();
}

// "check_admin_key", "deploy2/start_push", "/version" and "*" all name endpoints.
function normalizeEndpoint(endpoint) {
  if (!endpoint || endpoint === "*") return "*";
  let e = endpoint.startsWith("/") ? endpoint : "/" + endpoint;
  if (!e.startsWith("/api/") && !["/version", "/instance_name"].includes(e)) e = "/api" + e;
  return e;
}

export function setFault(dep, endpoint, fault) {
  const key = normalizeEndpoint(endpoint);
  if (typeof fault !== "object" || fault === null || Array.isArray(fault)) {
    throw new HttpError(400, "InvalidFault", "A fault is an object of fault kinds.");
  }
  const unknown = Object.keys(fault).filter((k) => !FAULT_KINDS.has(k));
  if (unknown.length > 0) {
    throw new HttpError(400, "UnknownFault", `Unknown fault kinds: ${unknown.join(", ")}`);
  }
  if ("times" in fault && !(Number.isInteger(fault.times) && fault.times > 0)) {
    throw new HttpError(
      400,
      "InvalidFault",
      `times must be a positive integer, not ${fault.times}`,
    );
  }
  if ("every" in fault && !(Number.isInteger(fault.every) && fault.every > 0)) {
    throw new HttpError(
      400,
      "InvalidFault",
      `every must be a positive integer, not ${fault.every}`,
    );
  }
  dep.faults.set(key, "every" in fault ? { ...fault, seen: 0 } : { ...fault });
}

// The faults a request runs under: its endpoint's, then "*"'s. Each one counts the request
// against its `times`; what is returned are copies taken before that count, so a fault on its
// last request still acts on it, whatever kind it is. A fault with `every: N` acts on every
// Nth request only (the others pass as if it were not there, and do not count against `times`).
export function takeFaults(dep, pathname) {
  const taken = [];
  for (const key of [pathname, "*"]) {
    const fault = dep.faults.get(key);
    if (!fault) continue;
    if (typeof fault.every === "number") {
      fault.seen += 1;
      if (fault.seen % fault.every !== 0) continue;
    }
    taken.push({ ...fault });
    if (typeof fault.times === "number") {
      fault.times -= 1;
      if (fault.times <= 0) dep.faults.delete(key);
    }
  }
  return taken;
}

// Applies latency, then answers for the endpoint if the fault says so: only the first of
// `faults` (the endpoint's own, if it has one) does. True when the request is dealt with
// (answered, dropped, or left hanging) and must not be routed.
export async function injectFault(faults, req, res) {
  const fault = faults[0];
  if (!fault) return false;
  if (fault.latency_ms) await sleep(fault.latency_ms);
  if (fault.drop) {
    req.socket.destroy();
    return true;
  }
  if (fault.hang) {
    hangingSockets.add(req.socket);
    req.socket.on("close", () => hangingSockets.delete(req.socket));
    return true;
  }
  if (fault.overloaded) {
    sendJson(res, 503, OVERLOADED);
    return true;
  }
  if (fault.status) {
    const body =
      fault.body ??
      (fault.status >= 500
        ? {
            code: "InternalServerError",
            message: "Your request couldn't be completed. Try again later.",
          }
        : { code: "BadRequest", message: "Injected error." });
    if (typeof body === "string") sendText(res, fault.status, body);
    else sendJson(res, fault.status, body);
    return true;
  }
  return false;
}

// The states a request runs under, from the faults takeFaults gave it: revoked_key and paused
// from either; `get(kind)` from the endpoint's own fault first.
export function faultState(faults) {
  const get = (kind) => faults.find((f) => f[kind] !== undefined)?.[kind];
  return {
    revoked: faults.some((f) => f.revoked_key),
    paused: faults.some((f) => f.paused),
    get,
  };
}
