// Convex's HTTP API on each deployment's port: the route table, and the steps every request goes
// through before its handler (faults, then body, then the route's auth).
//
// Route options: `auth` is "none" (no body read, no key), "admin" (the admin key, from the header
// or the body, or 403 BadDeployKey), "adminHeader" (the key from the header; the body is the
// handler's to read, not JSON) or "optional" (functions: no key needed, a wrong one refused,
// a right one lets internal functions run); `kind` is the function kind a function route runs;
// `text` answers text/plain instead of JSON. Handlers get {dep, req, body, params, kind, isAdmin,
// paused, fault} and return the body of a 200 answer.
import { callerIsAdmin, requireAdmin } from "./auth.mjs";
import { SERVER_VERSION } from "./deployment.mjs";
import { faultState, injectFault, takeFaults } from "./faults.mjs";
import { callFunction, queryBatch } from "./functions.mjs";
import {
  HttpError,
  readJson,
  requestUrl,
  sendError,
  sendJson,
  sendRawJson,
  sendText,
} from "./http.mjs";
import {
  evaluatePushEndpoint,
  evaluateSchemaEndpoint,
  finishPush,
  startPush,
  waitForSchema,
} from "./pushes.mjs";
import { matchRoute, route } from "./router.mjs";
import { finishUpload, performImport, startUpload, uploadPart } from "./snapshot_import.mjs";
import { RawJson } from "./value_formats.mjs";

function checkAdminKey() {
  return { success: true, allowedOps: ["*"], isReadOnly: false, compatibilityId: null };
}

// Only whether a table has documents; the CLI reads nothing more.
function shapes({ dep }) {
  const shapes = {};
  for (const t of dep.tables()) {
    const docs = dep.documentsOf(t);
    shapes[t] = docs.length === 0 ? { type: "Never" } : { type: "Object", fields: [] };
  }
  return shapes;
}

function configHashes({ dep }) {
  return {
    config: { functions: "convex/", authInfo: [] },
    moduleHashes: dep.active
      ? [...dep.active.modules].map(([p, m]) => ({
          path: p,
          hash: m.sha256,
          environment: m.environment,
        }))
      : [],
    nodeDependencies: [],
    udfServerVersion: dep.active?.udfServerVersion ?? null,
  };
}

const FUNCTION = { auth: "optional", counted: true };
const ADMIN = { auth: "admin" };

// Admin endpoints take any method, as they always have here; functions only POST.
const ROUTES = [
  route("*", "version", () => SERVER_VERSION, { auth: "none", text: true }),
  route("*", "instance_name", ({ dep }) => dep.name, { auth: "none", text: true }),
  route(["POST"], "api/query", callFunction, { ...FUNCTION, kind: "query" }),
  route(["POST"], "api/mutation", callFunction, { ...FUNCTION, kind: "mutation" }),
  route(["POST"], "api/action", callFunction, { ...FUNCTION, kind: "action" }),
  route(["POST"], "api/query_batch", queryBatch, FUNCTION),
  route(["POST"], "api/run/+", callFunction, { ...FUNCTION, kind: "any" }),
  route("*", "api/check_admin_key", checkAdminKey, ADMIN),
  route("*", "api/streaming_import/get_schema", ({ dep }) => dep.active?.schema ?? null, ADMIN),
  route("*", "api/shapes2", shapes, ADMIN),
  route("*", "api/get_config_hashes", configHashes, ADMIN),
  route("*", "api/deploy2/start_push", startPush, ADMIN),
  route("*", "api/deploy2/evaluate_push", evaluatePushEndpoint, ADMIN),
  route("*", "api/deploy2/evaluate_schema", evaluateSchemaEndpoint, ADMIN),
  route("*", "api/deploy2/wait_for_schema", waitForSchema, ADMIN),
  route("*", "api/deploy2/finish_push", finishPush, ADMIN),
  route("*", "api/deploy2/report_push_completed", () => ({}), ADMIN),
  // Snapshot import (`npx convex import`): lib/snapshot_import.mjs.
  route(["POST"], "api/import/start_upload", startUpload, ADMIN),
  route(["POST"], "api/import/upload_part", uploadPart, { auth: "adminHeader" }),
  route(["POST"], "api/import/finish_upload", finishUpload, ADMIN),
  route(["POST"], "api/perform_import", performImport, ADMIN),
];

export async function handleDeploymentRequest(dep, req, res) {
  try {
    // Faults and routes see the path without its trailing slashes and query.
    const pathname = requestUrl(req).pathname.replace(/\/+$/, "") || "/";
    if (dep.state === "deleted") {
      return sendJson(res, 404, {
        code: "DeploymentNotFound",
        message: `This deployment (${dep.name}) does not exist. It may have been deleted.`,
      });
    }
    const faults = takeFaults(dep, pathname);
    if (faults[0]?.drop) dep.calls.drop();
    if (await injectFault(faults, req, res)) return;
    const state = faultState(faults);
    const { revoked, get: fault } = state;
    const paused = state.paused || dep.state === "paused";

    const match = matchRoute(ROUTES, req.method, pathname.split("/").slice(1));
    if (match === null) {
      return sendJson(res, 404, {
        code: "NotFound",
        message: `No route for ${req.method} ${pathname}`,
      });
    }
    if (match.route === null) {
      throw new HttpError(405, "MethodNotAllowed", `Use ${match.allowed.join(" or ")}.`);
    }
    const { route: r, params } = match;
    let body = {};
    let isAdmin = false;
    if (r.auth === "adminHeader") requireAdmin(dep, req, {}, revoked);
    else if (r.auth !== "none") {
      body = req.method === "GET" || req.method === "HEAD" ? {} : await readJson(req);
      if (r.auth === "admin") requireAdmin(dep, req, body, revoked);
      else isAdmin = callerIsAdmin(dep, req, revoked);
    }
    if (r.counted) dep.calls.request();
    const context = { dep, req, body, params, kind: r.kind, isAdmin, paused, fault };
    const result = await r.handler(context);
    // The work is done (a mutation committed) and the answer is lost: the connection goes.
    if (fault("drop_after_commit")) {
      dep.calls.drop();
      return req.socket.destroy();
    }
    if (result instanceof RawJson) return sendRawJson(res, 200, result.text);
    return r.text ? sendText(res, 200, result) : sendJson(res, 200, result);
  } catch (e) {
    return sendError(res, e);
  }
}
