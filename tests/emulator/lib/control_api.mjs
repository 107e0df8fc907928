// Our control API (not Convex's) under /_emulator/ on the main port: create and delete
// deployments, read their schema, push log and documents, seed documents, set faults and config.
// README.md has the table of requests; tests/fixtures/emulator.py is its client.
import { convexToJson, jsonToConvex } from "convex/values";
import { setFault } from "./faults.mjs";
import { HttpError, readJson, requestUrl, sendError, sendJson } from "./http.mjs";
import { matchRoute, route } from "./router.mjs";
import { IDENTIFIER } from "./schema_names.mjs";

async function createDeployment({ registry, req }) {
  const body = await readJson(req);
  const dep = await registry.create({
    name: body.name ?? undefined,
    adminKey: body.adminKey,
    backfillMs: body.backfillMs,
    copyOf: body.copyOf,
  });
  return { name: dep.name, url: dep.url, adminKey: dep.adminKey, port: dep.port };
}

async function configure({ dep, req }) {
  const body = await readJson(req);
  if (body.backfillMs !== undefined) dep.backfillMs = Number(body.backfillMs);
  // A new deploy key for the same deployment (the old one stops working), as after rotation.
  if (typeof body.adminKey === "string" && body.adminKey.length > 0) dep.adminKey = body.adminKey;
  if (body.transactionLimits !== undefined) setTransactionLimits(dep, body.transactionLimits);
  if (body.concurrency !== undefined) dep.concurrency.configure(body.concurrency);
  return dep.info();
}

// Pause, resume or delete a deployment the way Convex does (see Deployment.state).
const STATES = new Set(["running", "paused", "deleted"]);
async function setState({ dep, req }) {
  const body = await readJson(req);
  if (!STATES.has(body.state))
    throw new HttpError(400, "InvalidState", `state is one of ${[...STATES].join(", ")}`);
  dep.state = body.state;
  if (body.state === "deleted") {
    dep.dropRuntime();
    dep.active = null;
    dep.store.tables.clear();
  }
  return dep.info();
}

// true: Convex's limits; an object: some of them lowered (e.g. {documentsWritten: 50}) so a test
// can reach one; false: none. The next function call runs on a runtime built with them.
const LIMITS = [
  "bytesRead",
  "bytesWritten",
  "documentsRead",
  "documentsWritten",
  "databaseQueries",
];
function setTransactionLimits(dep, limits) {
  const valid =
    typeof limits === "boolean" ||
    (limits !== null &&
      typeof limits === "object" &&
      !Array.isArray(limits) &&
      Object.entries(limits).every(
        ([k, n]) => LIMITS.includes(k) && Number.isInteger(n) && n >= 0,
      ));
  if (!valid) {
    throw new HttpError(
      400,
      "InvalidTransactionLimits",
      `transactionLimits is true, false or an object of non-negative integers (${LIMITS.join(", ")}).`,
    );
  }
  dep.transactionLimits = limits;
  dep.dropRuntime();
}

async function addFault({ dep, req }) {
  const body = await readJson(req);
  setFault(dep, body.endpoint, body.fault ?? {});
  return Object.fromEntries(dep.faults);
}

// Unchecked, as an import would write it, so tests can seed data the next push rejects.
async function insertDocument({ dep, req, params }) {
  const body = await readJson(req);
  if (!IDENTIFIER.test(params.table))
    throw new HttpError(400, "InvalidTableName", `Invalid table name ${params.table}`);
  return dep.store.insertUnchecked(params.table, jsonToConvex(body.document ?? body));
}

// Many documents at once, unchecked like insertDocument, so tests can load thousands quickly:
// {documents: [...]} -> {inserted, ids}.
async function insertDocuments({ dep, req, params }) {
  const body = await readJson(req);
  if (!IDENTIFIER.test(params.table))
    throw new HttpError(400, "InvalidTableName", `Invalid table name ${params.table}`);
  if (!Array.isArray(body.documents))
    throw new HttpError(400, "InvalidDocuments", "documents must be an array of objects.");
  const ids = body.documents.map(
    (d) => dep.store.insertUnchecked(params.table, jsonToConvex(d))._id,
  );
  return { inserted: ids.length, ids };
}

// Patterns are over the decoded, non-empty parts after /_emulator/; a trailing "*" ignores any
// further parts, as this API always has. Routes with :name get the deployment as `dep`.
const ROUTES = [
  route("*", "health/*", ({ registry }) => ({ ok: true, deployments: registry.size })),
  route(["GET"], "deployments", ({ registry }) =>
    registry.list().map((d) => ({ name: d.name, url: d.url })),
  ),
  route(["POST"], "deployments", createDeployment, { status: 201 }),
  route(["GET"], "deployments/:name", ({ dep }) => dep.info()),
  route(["DELETE"], "deployments/:name", async ({ registry, params }) => {
    await registry.delete(params.name);
    return { deleted: params.name };
  }),
  route(["GET"], "deployments/:name/schema/*", ({ dep }) => dep.active?.schema ?? null),
  route(["GET"], "deployments/:name/pushes/*", ({ dep }) => dep.pushes),
  route(["POST"], "deployments/:name/config/*", configure),
  route(["POST"], "deployments/:name/state/*", setState),
  route(["POST"], "deployments/:name/foreign_push/*", ({ dep }) => {
    dep.pushForeign();
    return dep.info();
  }),
  route(["GET"], "deployments/:name/faults/*", ({ dep }) => Object.fromEntries(dep.faults)),
  route(["DELETE"], "deployments/:name/faults/*", ({ dep }) => {
    dep.faults.clear();
    return {};
  }),
  route(["POST", "PUT"], "deployments/:name/faults/*", addFault),
  route(["GET"], "deployments/:name/calls/*", ({ dep }) => dep.calls.snapshot()),
  route(["DELETE"], "deployments/:name/calls/*", ({ dep }) => {
    dep.calls.reset();
    return dep.calls.snapshot();
  }),
  route(["GET"], "deployments/:name/tables", ({ dep }) => dep.tables()),
  route(["GET"], "deployments/:name/tables/:table/documents/*", ({ dep, params }) =>
    dep.documentsOf(params.table).map((d) => convexToJson(d)),
  ),
  route(["POST"], "deployments/:name/tables/:table/bulk", insertDocuments, { status: 201 }),
  route(["POST"], "deployments/:name/tables/:table/documents/*", insertDocument, { status: 201 }),
];

// A malformed %-escape is the caller's mistake: 400, not an error that stops the process.
function decodePart(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, "BadRequest", `Malformed %-escape in the path: ${part}`);
  }
}

export function controlRequestHandler(registry) {
  return async function handleControlRequest(req, res) {
    try {
      const url = requestUrl(req);
      const parts = url.pathname.split("/").filter(Boolean).map(decodePart);
      if (parts[0] !== "_emulator")
        throw new HttpError(404, "NotFound", "The control API lives under /_emulator/.");
      const segments = parts.slice(1);
      const match = matchRoute(ROUTES, req.method, segments);
      if (match?.route) {
        const { route: r, params } = match;
        // An unknown deployment is a 404 before anything else, the body included.
        const dep = params.name === undefined ? null : registry.get(params.name);
        const result = await r.handler({ registry, dep, req, params });
        return sendJson(res, r.status ?? 200, result);
      }
      if (segments[0] !== "deployments")
        throw new HttpError(404, "NotFound", `No route ${url.pathname}`);
      registry.get(segments[1]); // no such deployment beats no such route
      throw new HttpError(404, "NotFound", `No route ${req.method} ${url.pathname}`);
    } catch (e) {
      return sendError(res, e);
    }
  };
}
