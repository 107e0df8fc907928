// Running a deployment's functions (/api/query, /api/mutation, /api/action, /api/run/...) on its
// convex-test runtime, answered in Convex's envelope: HTTP 200 with {status: "success", value} or
// {status: "error", errorMessage, errorData?}, plus logLines when the function logged.
import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";
import { makeFunctionReference } from "convex/server";
import { ConvexError, convexToJson } from "convex/values";
import { parseArgs } from "./arguments.mjs";
import { badKey } from "./auth.mjs";
import { HttpError, sleep } from "./http.mjs";
import { importOnce } from "./module_cache.mjs";
import { listImports, queryImport } from "./snapshot_import.mjs";
import { defaultFormat, envelopeText, parseFormat, RawJson } from "./value_formats.mjs";

const PAUSED_ERROR_MESSAGE =
  "Cannot run functions while this deployment is paused. Resume the deployment in the dashboard " +
  "settings to allow functions to run.";

// Functions' console output goes to the response's logLines, like Convex's: a console whose
// methods find the current request's collector through AsyncLocalStorage.
const logStorage = new AsyncLocalStorage();
const LOG_LEVELS = { log: "LOG", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG" };
globalThis.console = new Proxy(globalThis.console, {
  get(target, prop) {
    const lines = logStorage.getStore();
    if (lines && Object.hasOwn(LOG_LEVELS, prop)) {
      return (...args) =>
        lines.push(`[${LOG_LEVELS[prop]}] ${args.map((a) => util.inspect(a)).join(" ")}`);
    }
    return Reflect.get(target, prop);
  },
});

// convex-test enforces Convex's per-transaction limits with its own words; the backend's
// (crates/database/src/reads.rs and writes.rs) are these. Function code sees them as plain Errors.
const OVER_LIMIT_HELP =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed " +
  "queries with a selective index range expressions.";
const LIMIT_MESSAGES = [
  [
    /^Scanned too many documents in a single function execution \(limit: (\d+)\)/,
    (n) =>
      `Too many documents read in a single function execution (limit: ${n}). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Read too much data in a single function execution \(limit: (\d+) bytes\)/,
    (n) =>
      `Too many bytes read in a single function execution (limit: ${n} bytes). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Too many index ranges read in a single function execution \(limit: (\d+)\)/,
    (n) => `Too many reads in a single function execution (limit: ${n}). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Wrote too many documents in a single function execution \(limit: (\d+)\)/,
    (n) => `Too many writes in a single function execution (limit: ${n})`,
  ],
  [
    /^Wrote too much data in a single function execution \(limit: (\d+) bytes\)/,
    (n) => `Too many bytes written in a single function execution (limit: ${n} bytes)`,
  ],
];

function backendMessage(message) {
  for (const [pattern, word] of LIMIT_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return word(match[1]);
  }
  return message;
}

// A ConvexError's text: its data as JSON, or the message of one the system raised (such as an
// invalid pagination cursor).
function convexErrorText(e) {
  if (e.data?.isConvexSystemError) return e.message;
  return typeof e.data === "string" ? e.data : JSON.stringify(convexToJson(e.data));
}

function parseFunctionPath(p) {
  if (typeof p !== "string" || p.length === 0) return null;
  let [modulePath, name] = p.includes(":") ? p.split(":", 2) : [p, "default"];
  modulePath = modulePath.replace(/\.(js|ts|mjs|cjs|jsx|tsx)$/, "");
  return {
    modulePath,
    name: name || "default",
    canonical: `${modulePath}.js:${name || "default"}`,
  };
}

async function runFunction(dep, request) {
  const logLines = [];
  const result = await logStorage.run(logLines, () => runFunctionInner(dep, request));
  // Like the backend, which leaves logLines out when a function logged nothing.
  return logLines.length > 0 ? { ...result, logLines } : result;
}

async function runFunctionInner(dep, { path: fnPath, args, kind, isAdmin, paused, slowMs }) {
  if (paused) return { status: "error", errorMessage: PAUSED_ERROR_MESSAGE };
  const parsed = parseFunctionPath(fnPath);
  const notFound = () => ({
    status: "error",
    errorMessage:
      `Could not find public function for '${parsed?.modulePath ?? fnPath}:${parsed?.name ?? ""}'. ` +
      "Did you forget to run `npx convex dev` or `npx convex deploy`?",
  });
  if (!parsed || !dep.active?.modules.has(parsed.modulePath + ".js")) return notFound();
  const file = pathToFileURL(path.join(dep.active.dir, parsed.modulePath + ".js")).href;
  let fn;
  try {
    fn = (await importOnce(file))[parsed.name];
  } catch (e) {
    return {
      status: "error",
      errorMessage: `Uncaught ${e?.name ?? "Error"}: ${e?.message ?? e}`,
    };
  }
  if (!fn || !(fn.isQuery || fn.isMutation || fn.isAction)) return notFound();
  if (fn.isInternal && !isAdmin) return notFound();
  const actual = fn.isQuery ? "query" : fn.isMutation ? "mutation" : "action";
  if (kind !== "any" && kind !== actual) {
    const cap = (s) => s[0].toUpperCase() + s.slice(1);
    return {
      status: "error",
      errorMessage: `Trying to execute ${parsed.modulePath}.js:${parsed.name} as ${cap(kind)}, but it is defined as ${cap(actual)}.`,
    };
  }
  const parsedArgs = parseArgs(parsed.canonical, args);
  if (parsedArgs.error) return { status: "error", errorMessage: parsedArgs.error };
  const t = await dep.getRuntime();
  const ref = makeFunctionReference(`${parsed.modulePath}:${parsed.name}`);
  const release = await dep.concurrency.acquire(actual);
  dep.calls.call(actual, `${parsed.modulePath}:${parsed.name}`);
  try {
    // A slow_ms fault: the function takes that much longer, holding its slot (Convex's
    // queries and mutations cannot wait on timers, so a slow one is the emulator's doing).
    if (slowMs) await sleep(slowMs);
    const value = await t[actual](ref, parsedArgs.value);
    return { status: "success", value: value === undefined ? null : value };
  } catch (e) {
    if (e instanceof ConvexError || e?.name === "ConvexError") {
      return {
        status: "error",
        errorMessage: `Uncaught ConvexError: ${convexErrorText(e)}`,
        errorData: e.data ?? null,
      };
    }
    return {
      status: "error",
      errorMessage: `Uncaught ${e?.name ?? "Error"}: ${backendMessage(String(e?.message ?? e))}`,
    };
  } finally {
    release();
  }
}

// The backend's own queries under _system/ that the CLI and the dashboard call with the admin key
// (npm convex src/cli/lib/run.ts and data.ts). Each takes the deployment and the call's args.
// Keyed by module path for a default export, by "module:name" for another.
const SYSTEM_QUERIES = {
  // The backend's version is `db.query(tableName).count()`: 0 for a table that does not exist.
  "_system/cli/tableSize": (dep, args) => dep.documentsOf(String(args?.tableName ?? "")).length,
  // `npx convex import` watches its import, and lists those under way (lib/snapshot_import.mjs).
  "_system/cli/queryImport": queryImport,
  "_system/cli/queryImport:list": listImports,
};

function systemQuery(parsed) {
  const key = parsed.name === "default" ? parsed.modulePath : `${parsed.modulePath}:${parsed.name}`;
  return SYSTEM_QUERIES[key];
}

// A system query's value for the sync socket (lib/sync.mjs), which checked the admin key; throws
// the backend's words for an unknown path.
export function runSystemQueryValue(dep, fnPath, args) {
  const parsed = parseFunctionPath(fnPath);
  const query = systemQuery(parsed);
  if (!query)
    throw new Error(`Could not find public function for '${parsed.modulePath}:${parsed.name}'.`);
  dep.calls.call("query", `${parsed.modulePath}:${parsed.name}`);
  return query(dep, args ?? {});
}

function runSystemQuery(dep, { path: fnPath, args, kind, isAdmin, paused }) {
  // An admin-only path: without the deployment's key it is refused like the admin endpoints.
  if (!isAdmin) throw badKey(dep);
  if (paused) return { status: "error", errorMessage: PAUSED_ERROR_MESSAGE };
  const parsed = parseFunctionPath(fnPath);
  const query = systemQuery(parsed);
  if (!query || !["query", "any"].includes(kind)) {
    return {
      status: "error",
      errorMessage: `Could not find public function for '${parsed.modulePath}:${parsed.name}'.`,
    };
  }
  const rawArgs = Array.isArray(args) ? (args[0] ?? {}) : (args ?? {});
  dep.calls.call("query", `${parsed.modulePath}:${parsed.name}`);
  return { status: "success", value: query(dep, rawArgs) };
}

// One call -> its envelope (values as convex-test returns them, not yet in a format).
function runCall(dep, call) {
  if (typeof call.path === "string" && call.path.startsWith("_system/")) {
    return runSystemQuery(dep, call);
  }
  return runFunction(dep, call);
}

// The route handler. A function path comes from the body ({path: "module:function"}) or, for
// /api/run/<module path>/<function>, from the URL, which runs whatever kind the function is.
// Like the backend, the format is read after the function ran (an unknown one is a 400 even
// though a mutation committed); /api/run defaults to clean JSON, the others to what the
// client's version implies.
export async function callFunction({ dep, req, body, params, kind, isAdmin, paused, fault }) {
  let fnPath = body.path;
  if (params.rest) {
    const segments = params.rest.map(decodeURIComponent);
    const name = segments.pop();
    fnPath = `${segments.join("/")}:${name}`;
  }
  const call = { path: fnPath, args: body.args, kind, isAdmin, paused, slowMs: fault("slow_ms") };
  const result = await runCall(dep, call);
  const format = parseFormat(body.format) ?? (params.rest ? "clean" : defaultFormat(req));
  return new RawJson(envelopeText(result, format));
}

// POST /api/query_batch {queries: [{path, args, format}]} -> {results: [...]}: one envelope per
// query, in order (Convex reads them all at one snapshot; here they simply run one after
// another). A function's error stays in its own result; a system error (a bad format, a 429)
// fails the whole batch.
export async function queryBatch({ dep, req, body, isAdmin, paused, fault }) {
  if (!Array.isArray(body.queries)) {
    throw new HttpError(400, "BadJsonBody", "query_batch needs {queries: [...]}.");
  }
  const results = [];
  for (const query of body.queries) {
    const one = typeof query === "object" && query !== null ? query : {};
    const format = parseFormat(one.format) ?? defaultFormat(req);
    const slowMs = fault("slow_ms");
    const call = { path: one.path, args: one.args, kind: "query", isAdmin, paused, slowMs };
    results.push(envelopeText(await runCall(dep, call), format));
  }
  return new RawJson(`{"results":[${results.join(",")}]}`);
}
