// Faults on demand, per deployment and endpoint ("*" for all): what the control API accepts, and
// what a deployment does with them before it routes a request. Kinds that answer for the endpoint
// (latency, status, hang, drop) act here; the others are states that the auth check
// (revoked_key), function calls (paused) and wait_for_schema (race, schema_failure) read.
import { HttpError, sendJson, sendText, sleep } from "./http.mjs";

// Unknown kinds are refused so a typo cannot make a fault test pass vacuously.
const FAULT_KINDS = new Set([
  "latency_ms",
  "status",
  "body",
  "hang",
  "drop",
  "schema_failure",
  "race",
  "revoked_key",
  "paused",
  "times",
]);

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
  const unknown = Object.keys(fault).filter((k) => !FAULT_KINDS.has(k));
  if (unknown.length > 0) {
    throw new HttpError(400, "UnknownFault", `Unknown fault kinds: ${unknown.join(", ")}`);
  }
  dep.faults.set(key, fault);
}

// The fault for this request, counting it against `times`.
function takeFault(dep, pathname) {
  for (const key of [pathname, "*"]) {
    const fault = dep.faults.get(key);
    if (fault) {
      if (typeof fault.times === "number") {
        fault.times -= 1;
        if (fault.times <= 0) dep.faults.delete(key);
      }
      return fault;
    }
  }
  return null;
}

// Applies latency, then answers for the endpoint if the fault says so. True when the request is
// dealt with (answered, dropped, or left hanging) and must not be routed.
export async function injectFault(dep, req, res, pathname) {
  const fault = takeFault(dep, pathname);
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

// The states a request runs under. Read after takeFault, so `times` has already been counted.
export function faultState(dep, pathname) {
  let revoked = false;
  let paused = false;
  for (const key of [pathname, "*"]) {
    const f = dep.faults.get(key);
    if (f?.revoked_key) revoked = true;
    if (f?.paused) paused = true;
  }
  const get = (kind) => dep.faults.get(pathname)?.[kind] ?? dep.faults.get("*")?.[kind];
  return { revoked, paused, get };
}
