#!/usr/bin/env node
// A Convex deployment emulator for tests.
//
// One process hosts many deployments; each listens on its own port on 127.0.0.1, so its URL is a
// bare origin like a real deployment's. Pushed modules run under `convex-test` against the
// deployment's data. A control API of our own (not Convex's) lives under /_emulator/ on the main
// port. Usage:
//
//   node tests/emulator/server.mjs --port 3210 --deployment NAME:ADMINKEY [--deployment ...]
//
// prints one JSON line ({"url", "controlUrl", "deployments": {name: {url}}}) and serves until
// stopped (SIGINT/SIGTERM). Admin keys are never printed.
import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { register } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";
import zlib from "node:zlib";

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

// convex-test keeps a deployment's documents in a private `DatabaseFake`. Carrying data (with ids)
// across pushes needs a handle on it, so expose the class from the module's source as it loads.
register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (url.endsWith("/convex-test/dist/index.js")) {
    const source = String(result.source ?? (await import("node:fs")).readFileSync(new URL(url)));
    return { ...result, format: "module", shortCircuit: true,
      source: source + "\\nglobalThis.__emulatorDatabaseFake = DatabaseFake;\\n" };
  }
  return result;
}`),
);

const { convexTest } = await import("convex-test");
const { makeFunctionReference } = await import("convex/server");
const { jsonToConvex, convexToJson, ConvexError } = await import("convex/values");

const DatabaseFake = globalThis.__emulatorDatabaseFake;
let lastCreatedDb = null;
const originalValidateSchema = DatabaseFake.prototype.validateSchema;
DatabaseFake.prototype.validateSchema = function validateSchema(...args) {
  lastCreatedDb = this;
  return originalValidateSchema.apply(this, args);
};

const VERSION = "1.48.0";
const PAUSED_ERROR_MESSAGE =
  "Cannot run functions while this deployment is paused. Resume the deployment in the dashboard " +
  "settings to allow functions to run.";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_INDEX_FIELDS = 15;
const MAX_FILTER_FIELDS = 16;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { port: 0, host: "127.0.0.1", deployments: [], backfillMs: 300, workdir: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--port") args.port = Number(value);
    else if (flag === "--host") args.host = value;
    else if (flag === "--backfill-ms") args.backfillMs = Number(value);
    else if (flag === "--workdir") args.workdir = value;
    else if (flag === "--deployment") {
      const sep = value.indexOf(":");
      if (sep <= 0) throw new Error(`--deployment wants NAME:ADMINKEY, got ${value}`);
      args.deployments.push({ name: value.slice(0, sep), adminKey: value.slice(sep + 1) });
    } else throw new Error(`Unknown argument ${flag}`);
    i++;
  }
  return args;
}

const ARGS = parseArgs(process.argv.slice(2));
const WORKDIR = ARGS.workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-"));
const OWN_WORKDIR = ARGS.workdir === null;

// ---------------------------------------------------------------------------------------------
// HTTP helpers

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sendJson(res, status, body) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendText(res, status, text) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function readJson(req) {
  let raw = await readBody(req);
  const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
  try {
    if (encoding === "br") raw = zlib.brotliDecompressSync(raw);
    else if (encoding === "gzip") raw = zlib.gunzipSync(raw);
  } catch {
    throw new HttpError(400, "BadRequest", `Could not decode a ${encoding} request body.`);
  }
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new HttpError(400, "BadJsonBody", "The request body is not valid JSON.");
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Deployments

const deployments = new Map(); // name -> Deployment
const hangingSockets = new Set();
let deploymentCounter = 0;

function newAdminKey(name) {
  return `${name}|${crypto.randomBytes(32).toString("hex")}`;
}

class Deployment {
  constructor(name, adminKey, options = {}) {
    this.name = name;
    this.adminKey = adminKey;
    this.backfillMs = options.backfillMs ?? ARGS.backfillMs;
    this.active = null; // {pushId, schema (export JSON) | null, dir, modules: Map(path -> {sha256, environment})}
    this.store = { documents: {}, nextDocId: 10000, lastCreationTime: 0 };
    this.runtime = null; // {t, db} created lazily
    this.pending = new Map(); // pushId -> push
    this.latestPushId = null;
    this.pushes = []; // log
    this.faults = new Map(); // endpoint -> fault
    this.server = null;
    this.port = null;
  }

  get url() {
    return `http://${ARGS.host}:${this.port}`;
  }

  async listen() {
    this.server = http.createServer((req, res) => handleDeploymentRequest(this, req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, ARGS.host, resolve);
    });
    this.port = this.server.address().port;
  }

  async close() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  info() {
    return {
      name: this.name,
      url: this.url,
      port: this.port,
      activeSchema: this.active?.schema ?? null,
      activeModules: this.active ? [...this.active.modules.keys()] : [],
      backfillMs: this.backfillMs,
      faults: Object.fromEntries(this.faults),
    };
  }

  documentsOf(table) {
    return Object.values(this.store.documents).filter((d) => tableOfId(d._id) === table);
  }

  tables() {
    const names = new Set(Object.values(this.store.documents).map((d) => tableOfId(d._id)));
    for (const t of this.active?.schema?.tables ?? []) names.add(t.tableName);
    return [...names].sort();
  }

  // One id counter per deployment, shared by every runtime it ever had: a mutation still running
  // on the previous runtime during a push cannot hand out an id the new one hands out again.
  generateId(table) {
    const counter = String(this.store.nextDocId++).padStart(32 - table.length, "0");
    return counter + table;
  }

  dropRuntime() {
    if (this.runtime) {
      this.store.lastCreationTime = Math.max(
        this.store.lastCreationTime,
        this.runtime.db._lastCreationTime,
      );
      this.runtime = null;
    }
  }

  async getRuntime() {
    if (this.runtime) return this.runtime;
    const modules = { "./_generated/api.js": async () => ({}) };
    let schemaDefinition;
    if (this.active) {
      for (const modulePath of this.active.modules.keys()) {
        const file = pathToFileURL(path.join(this.active.dir, modulePath)).href;
        modules["./" + modulePath] = () => import(file);
      }
      if (this.active.schema !== null && this.active.schemaPath) {
        const file = pathToFileURL(path.join(this.active.dir, this.active.schemaPath)).href;
        schemaDefinition = (await import(file)).default;
      }
    }
    if (this.runtime) return this.runtime; // a concurrent request got there first
    lastCreatedDb = null;
    const t = convexTest(schemaDefinition, modules);
    const db = lastCreatedDb;
    db._documents = this.store.documents;
    db._generateId = (table) => this.generateId(table);
    db._lastCreationTime = this.store.lastCreationTime;
    this.runtime = { t, db };
    return this.runtime;
  }
}

function tableOfId(id) {
  const match = /^[0-9]+/.exec(id);
  return match ? id.slice(match[0].length) : id;
}

async function createDeployment({ name, adminKey, backfillMs } = {}) {
  name = name ?? `emulated-${process.pid}-${++deploymentCounter}`;
  if (!IDENTIFIER_NAME.test(name)) {
    throw new HttpError(
      400,
      "InvalidName",
      `Deployment names use letters, digits and dashes: ${name}`,
    );
  }
  if (deployments.has(name))
    throw new HttpError(409, "DeploymentExists", `Deployment ${name} exists.`);
  const dep = new Deployment(name, adminKey ?? newAdminKey(name), { backfillMs });
  deployments.set(name, dep);
  try {
    await dep.listen();
  } catch (e) {
    deployments.delete(name);
    throw e;
  }
  return dep;
}
const IDENTIFIER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

// ---------------------------------------------------------------------------------------------
// Faults

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

function normalizeEndpoint(endpoint) {
  if (!endpoint || endpoint === "*") return "*";
  let e = endpoint.startsWith("/") ? endpoint : "/" + endpoint;
  if (!e.startsWith("/api/") && !["/version", "/instance_name"].includes(e)) e = "/api" + e;
  return e;
}

function faultFor(dep, pathname) {
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

function deploymentState(dep, pathname) {
  // Persistent states (not consumed by `times`).
  let revoked = false;
  let paused = false;
  for (const key of [pathname, "*"]) {
    const f = dep.faults.get(key);
    if (f?.revoked_key) revoked = true;
    if (f?.paused) paused = true;
  }
  return { revoked, paused };
}

// ---------------------------------------------------------------------------------------------
// Auth

function badKey(dep) {
  return new HttpError(
    403,
    "BadDeployKey",
    `The provided deploy key was invalid for deployment '${dep.name}'. Double check that the ` +
      "environment this key was generated for matches the desired deployment.",
  );
}

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

function requireAdmin(dep, req, body, revoked) {
  const fromHeader = headerKey(req);
  const key = typeof fromHeader === "string" ? fromHeader : body?.adminKey;
  if (!keyMatches(dep, key, revoked)) throw badKey(dep);
}

// ---------------------------------------------------------------------------------------------
// Schema rules (the backend checks these; the JS package checks none)

function schemaError(code, message) {
  return new HttpError(400, code, message);
}

function checkIdentifier(value, what) {
  if (
    typeof value !== "string" ||
    !IDENTIFIER.test(value) ||
    value.length > 64 ||
    /^_+$/.test(value)
  ) {
    return false;
  }
  return true;
}

function fieldExists(documentType, fieldPath) {
  // Mirrors the backend's `can_contain_field`: follow objects (and unions of objects).
  if (!documentType) return true;
  const parts = fieldPath.split(".");
  const walk = (validator, i) => {
    if (i === parts.length) return true;
    if (!validator) return false;
    switch (validator.type) {
      case "any":
        return true;
      case "object": {
        const field = validator.value[parts[i]];
        return field !== undefined && walk(field.fieldType, i + 1);
      }
      case "union":
        return validator.value.some((v) => walk(v, i));
      default:
        return false;
    }
  };
  return walk(documentType, 0);
}

function fieldValidator(documentType, fieldPath) {
  let v = documentType;
  for (const part of fieldPath.split(".")) {
    if (!v || v.type !== "object" || !v.value[part]) return null;
    v = v.value[part].fieldType;
  }
  return v;
}

function validateSchemaRules(schema) {
  const tableNames = new Set();
  for (const table of schema.tables) {
    const t = table.tableName;
    if (!checkIdentifier(t)) {
      throw schemaError(
        "InvalidTableName",
        `Invalid table name: "${t}". Identifiers must start with a letter and can only contain ` +
          "letters, digits, and underscores.",
      );
    }
    if (t.startsWith("_")) throw schemaError("TableNameReserved", `${t} is a reserved table name.`);
    if (tableNames.has(t))
      throw schemaError("TableNamesNotUnique", `Table "${t}" is defined twice.`);
    tableNames.add(t);

    const db = [...(table.indexes ?? []), ...(table.stagedDbIndexes ?? [])];
    const search = [...(table.searchIndexes ?? []), ...(table.stagedSearchIndexes ?? [])];
    const vector = [...(table.vectorIndexes ?? []), ...(table.stagedVectorIndexes ?? [])];
    const names = new Set();
    for (const index of [...db, ...search, ...vector]) {
      const name = index.indexDescriptor;
      if (
        name === "by_id" ||
        name === "by_creation_time" ||
        (typeof name === "string" && name.startsWith("_"))
      ) {
        throw schemaError(
          "IndexNameReserved",
          `In table "${t}" cannot name an index "${name}" because the name is reserved. Indexes ` +
            'may not start with an underscore or be named "by_id" or "by_creation_time".',
        );
      }
      if (!checkIdentifier(name)) {
        throw schemaError(
          "InvalidIndexName",
          `Invalid index name: "${name}". Identifiers must be 64 characters or less, start with ` +
            "a letter, and only contain letters, digits, underscores.",
        );
      }
      if (names.has(name)) {
        throw schemaError(
          "IndexNamesNotUnique",
          `Table "${t}" has two or more definitions of index "${name}".`,
        );
      }
      names.add(name);
    }
    const checkField = (index, field) => {
      for (const part of String(field).split(".")) {
        if (part === "_id" && field === "_id") {
          throw schemaError(
            "IndexFieldsContainId",
            "`_id` is not a valid index field. To load documents by ID, use `db.get(id)`.",
          );
        }
        if (field === "_creationTime") {
          throw schemaError(
            "IndexFieldsContainCreationTime",
            "`_creationTime` is automatically added to the end of each index. It should not be " +
              "added explicitly in the index definition. See https://docs.convex.dev/using/indexes " +
              "for more details.",
          );
        }
        if (part.startsWith("_")) {
          throw schemaError(
            "IndexFieldNameReserved",
            "Reserved fields (starting with `_`) are not allowed in indexes.",
          );
        }
        if (!checkIdentifier(part)) {
          throw schemaError(
            "InvalidIndexField",
            `In index "${t}.${index.indexDescriptor}": Invalid index field: "${field}"`,
          );
        }
      }
    };
    const fieldLists = new Map();
    for (const index of db) {
      const fields = index.fields ?? [];
      if (fields.length === 0) {
        throw schemaError(
          "EmptyIndex",
          `In table "${t}" index "${t}.${index.indexDescriptor}" must have at least one field.`,
        );
      }
      if (fields.length > MAX_INDEX_FIELDS) {
        throw schemaError(
          "IndexTooManyFields",
          `Indexes may have up to ${MAX_INDEX_FIELDS + 1} fields.`,
        );
      }
      const seen = new Set();
      for (const f of fields) {
        checkField(index, f);
        if (seen.has(f)) {
          throw schemaError(
            "FieldsNotUniqueWithinIndex",
            `Duplicate field ${f}. Index fields must be unique within an index.`,
          );
        }
        seen.add(f);
      }
      const key = JSON.stringify(fields);
      if (fieldLists.has(key)) {
        throw schemaError(
          "IndexNotUnique",
          `In table "${t}" index "${t}.${fieldLists.get(key)}" and index ` +
            `"${t}.${index.indexDescriptor}" have the same fields. Indexes must be unique within a table.`,
        );
      }
      fieldLists.set(key, index.indexDescriptor);
    }
    for (const index of search) {
      if (typeof index.searchField !== "string") {
        throw schemaError(
          "InvalidSearchIndex",
          `Search index "${t}.${index.indexDescriptor}" needs one searchField.`,
        );
      }
      checkField(index, index.searchField);
      const filters = index.filterFields ?? [];
      if (filters.length > MAX_FILTER_FIELDS) {
        throw schemaError(
          "IndexTooManyFilterFields",
          `Search indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`,
        );
      }
      filters.forEach((f) => checkField(index, f));
    }
    for (const index of vector) {
      const dims = index.dimensions;
      if (!Number.isInteger(dims) || dims < 2 || dims > 4096) {
        throw schemaError(
          "InvalidVectorDimensionError",
          `Dimensions ${dims} must be between 2 and 4096 (in vector index "${t}.${index.indexDescriptor}").`,
        );
      }
      checkField(index, index.vectorField);
      const filters = index.filterFields ?? [];
      if (filters.length > MAX_FILTER_FIELDS) {
        throw schemaError(
          "IndexTooManyFilterFields",
          `Vector indexes may have up to ${MAX_FILTER_FIELDS} filter fields.`,
        );
      }
      filters.forEach((f) => checkField(index, f));
    }
    if (schema.schemaValidation && table.documentType) {
      const referenced = [
        ...db.flatMap((i) => i.fields.map((f) => [i.indexDescriptor, f])),
        ...search.flatMap((i) =>
          [i.searchField, ...(i.filterFields ?? [])].map((f) => [i.indexDescriptor, f]),
        ),
        ...vector.flatMap((i) =>
          [i.vectorField, ...(i.filterFields ?? [])].map((f) => [i.indexDescriptor, f]),
        ),
      ];
      for (const [name, field] of referenced) {
        if (!fieldExists(table.documentType, field)) {
          throw schemaError(
            "SchemaDefinitionError",
            `In table "${t}" the index "${name}" is invalid because it references the field ` +
              `${field} that does not exist.`,
          );
        }
      }
      for (const index of vector) {
        const v = fieldValidator(table.documentType, index.vectorField);
        if (!(v?.type === "array" && v.value?.type === "number")) {
          throw schemaError(
            "SchemaDefinitionError",
            `In table "${t}" the vector index "${index.indexDescriptor}" is invalid because it ` +
              `references the field ${index.vectorField} that is neither an array of float64 or ` +
              "optional array of float64.",
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Index diffs

function indexConfigs(schema) {
  const out = new Map();
  for (const table of schema?.tables ?? []) {
    const t = table.tableName;
    for (const i of table.indexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "database",
        fields: i.fields,
      });
    }
    for (const i of table.searchIndexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "search",
        searchField: i.searchField,
        filterFields: i.filterFields ?? [],
      });
    }
    for (const i of table.vectorIndexes ?? []) {
      out.set(`${t}.${i.indexDescriptor}`, {
        name: `${t}.${i.indexDescriptor}`,
        type: "vector",
        dimensions: i.dimensions,
        vectorField: i.vectorField,
        filterFields: i.filterFields ?? [],
      });
    }
  }
  return out;
}

function indexDiff(oldSchema, newSchema) {
  const before = indexConfigs(oldSchema);
  const after = indexConfigs(newSchema);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const added = [];
  const removed = [];
  for (const [name, config] of after) {
    if (!before.has(name) || !same(before.get(name), config)) added.push(config);
  }
  for (const [name, config] of before) {
    if (!after.has(name) || !same(after.get(name), config)) removed.push(config);
  }
  return {
    added_indexes: added,
    removed_indexes: removed,
    enabled_indexes: [],
    disabled_indexes: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Document validation against a schema's documentType

function describe(value) {
  try {
    return JSON.stringify(convexToJson(value));
  } catch {
    return String(value);
  }
}

function validateValue(v, value, where) {
  const fail = (msg) => `${where}: ${msg}`;
  switch (v.type) {
    case "any":
      return null;
    case "null":
      return value === null ? null : fail(`expected null, got ${describe(value)}`);
    case "string":
      return typeof value === "string" ? null : fail(`expected a string, got ${describe(value)}`);
    case "number":
      return typeof value === "number" ? null : fail(`expected a float64, got ${describe(value)}`);
    case "bigint":
      return typeof value === "bigint" ? null : fail(`expected an int64, got ${describe(value)}`);
    case "boolean":
      return typeof value === "boolean" ? null : fail(`expected a boolean, got ${describe(value)}`);
    case "bytes":
      return value instanceof ArrayBuffer ? null : fail(`expected bytes, got ${describe(value)}`);
    case "id":
      return typeof value === "string"
        ? null
        : fail(`expected an Id<"${v.tableName}">, got ${describe(value)}`);
    case "literal": {
      const want = JSON.stringify(v.value);
      return JSON.stringify(convexToJson(value)) === want
        ? null
        : fail(`expected ${want}, got ${describe(value)}`);
    }
    case "array": {
      if (!Array.isArray(value)) return fail(`expected an array, got ${describe(value)}`);
      for (let i = 0; i < value.length; i++) {
        const e = validateValue(v.value, value[i], `${where}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "union":
      return v.value.some((option) => validateValue(option, value, where) === null)
        ? null
        : fail(`${describe(value)} matches none of the union's members`);
    case "object": {
      if (
        value === null ||
        typeof value !== "object" ||
        Array.isArray(value) ||
        value instanceof ArrayBuffer
      ) {
        return fail(`expected an object, got ${describe(value)}`);
      }
      for (const [field, { fieldType, optional }] of Object.entries(v.value)) {
        if (value[field] === undefined) {
          if (!optional) return fail(`missing required field \`${field}\``);
          continue;
        }
        const e = validateValue(fieldType, value[field], `${where}.${field}`);
        if (e) return e;
      }
      for (const field of Object.keys(value)) {
        if (!(field in v.value) && value[field] !== undefined)
          return fail(`extra field \`${field}\``);
      }
      return null;
    }
    case "record": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return fail(`expected a record, got ${describe(value)}`);
      }
      for (const [k, item] of Object.entries(value)) {
        const ek = validateValue(v.keys, k, `${where} key ${k}`);
        if (ek) return ek;
        const e = validateValue(v.values.fieldType, item, `${where}.${k}`);
        if (e) return e;
      }
      return null;
    }
    default:
      return null;
  }
}

function findInvalidDocument(dep, schema) {
  if (!schema?.schemaValidation) return null;
  for (const table of schema.tables) {
    if (!table.documentType) continue;
    for (const doc of dep.documentsOf(table.tableName)) {
      const { _id, _creationTime, ...fields } = doc;
      const error = validateValue(table.documentType, fields, "document");
      if (error) {
        return {
          tableName: table.tableName,
          error:
            `Schema validation failed.\nDocument with ID "${_id}" in table "${table.tableName}" ` +
            `does not match the schema: ${error}`,
        };
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Pushes

function sha256(bundle) {
  return crypto
    .createHash("sha256")
    .update(bundle.source ?? "")
    .update(bundle.sourceMap ?? "")
    .digest("hex");
}

async function evaluatePush(dep, body) {
  const app = body.appDefinition;
  if (!app || !Array.isArray(app.changedModules)) {
    throw new HttpError(
      400,
      "InvalidPushRequest",
      "The push request has no appDefinition.changedModules.",
    );
  }
  if ((body.componentDefinitions ?? []).length > 0) {
    throw new HttpError(400, "ComponentsNotSupported", "The emulator does not host components.");
  }
  const pushId = `push-${crypto.randomBytes(6).toString("hex")}`;
  // Bundles are stored by content: deployments pushed the same artifact share one directory, so
  // Node evaluates its modules once (pushing one package to 1,000 deployments stays cheap).
  const modules = new Map();
  const sources = new Map();
  for (const m of app.changedModules) {
    modules.set(m.path, { sha256: sha256(m), environment: m.environment ?? "isolate" });
    sources.set(m.path, m.source);
  }
  for (const u of app.unchangedModuleHashes ?? []) {
    const old = dep.active?.modules.get(u.path);
    if (!old || old.sha256 !== u.sha256) {
      throw new HttpError(
        400,
        "ModuleNotFound",
        `Unchanged module ${u.path} is not on the deployment.`,
      );
    }
    modules.set(u.path, old);
    sources.set(u.path, fs.readFileSync(path.join(dep.active.dir, u.path), "utf8"));
  }
  const schemaPath = app.schema ? (app.schema.path ?? "schema.js") : null;
  if (schemaPath) sources.set(schemaPath, app.schema.source);
  const key = crypto.createHash("sha256");
  for (const [p, source] of [...sources].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    key.update(p).update("\0").update(crypto.createHash("sha256").update(source).digest("hex"));
  }
  const dir = path.join(WORKDIR, "bundles", key.digest("hex").slice(0, 40));
  if (!fs.existsSync(path.join(dir, "package.json"))) {
    for (const [modulePath, source] of sources) {
      const target = path.resolve(dir, modulePath);
      if (!target.startsWith(dir + path.sep)) {
        throw new HttpError(
          400,
          "InvalidModulePath",
          `Module path escapes the functions directory: ${modulePath}`,
        );
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, source);
    }
    // Written last: its presence marks a complete bundle directory.
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  }
  let schema = null;
  if (schemaPath) {
    let exported;
    try {
      const mod = await import(pathToFileURL(path.join(dir, schemaPath)).href);
      exported = mod.default.export();
    } catch (e) {
      throw new HttpError(
        400,
        "SchemaDefinitionError",
        `Failed to analyze ${schemaPath}: ${e?.message ?? e}`,
      );
    }
    schema = typeof exported === "string" ? JSON.parse(exported) : exported;
    validateSchemaRules(schema);
  }
  const diff = indexDiff(dep.active?.schema ?? null, schema);
  const analysis = await analyzeModules(dir, modules, schemaPath);
  return {
    pushId,
    dir,
    modules,
    schema,
    schemaPath,
    diff,
    analysis,
    udfServerVersion: app.udfServerVersion ?? VERSION,
  };
}

// What the backend reports about each module's functions (the CLI's codegen reads it).
async function analyzeModules(dir, modules, schemaPath) {
  const functions = {};
  for (const modulePath of modules.keys()) {
    if (modulePath.startsWith("_deps/") || modulePath === schemaPath || !modulePath.endsWith(".js"))
      continue;
    let exports;
    try {
      exports = await import(pathToFileURL(path.join(dir, modulePath)).href);
    } catch (e) {
      throw new HttpError(
        400,
        "ModuleAnalyzeError",
        `Failed to analyze ${modulePath}: Uncaught ${e?.name ?? "Error"}: ${e?.message ?? e}`,
      );
    }
    const analyzed = [];
    for (const [name, fn] of Object.entries(exports)) {
      if (!fn || !(fn.isQuery || fn.isMutation || fn.isAction)) continue;
      const call = (m) => {
        try {
          return typeof fn[m] === "function" ? fn[m]() : null;
        } catch {
          return null;
        }
      };
      analyzed.push({
        name,
        pos: null,
        udfType: fn.isQuery ? "Query" : fn.isMutation ? "Mutation" : "Action",
        visibility: { kind: fn.isInternal ? "internal" : "public" },
        args: call("exportArgs"),
        returns: call("exportReturns"),
      });
    }
    functions[modulePath] = {
      functions: analyzed,
      httpRoutes: null,
      cronSpecs: null,
      sourceMapped: null,
    };
  }
  return functions;
}

// What the CLI's pre-push checks read (index sizes, tables to walk) before it starts a push.
function schemaEvaluation(dep, push) {
  const before = indexConfigs(dep.active?.schema ?? null);
  const after = indexConfigs(push.schema);
  const count = (name) => dep.documentsOf(name.split(".")[0]).length;
  const indexes = [];
  for (const [name, config] of after) {
    const same = before.has(name) && JSON.stringify(before.get(name)) === JSON.stringify(config);
    indexes.push({
      ...config,
      change: same ? "identical" : "added",
      needsBackfill: !same,
      numDocs: count(name),
    });
  }
  for (const [name, config] of before) {
    const same = after.has(name) && JSON.stringify(after.get(name)) === JSON.stringify(config);
    if (!same)
      indexes.push({ ...config, change: "dropped", needsBackfill: false, numDocs: count(name) });
  }
  const validation = !!push.schema?.schemaValidation;
  const tables = (push.schema?.tables ?? []).map((t) => {
    const numDocs = dep.documentsOf(t.tableName).length;
    return {
      name: t.tableName,
      outcome: !validation ? "notValidated" : numDocs > 0 ? "mustWalk" : "supersetOfShape",
      numDocs,
      sizeBytes: numDocs * 100,
    };
  });
  return {
    componentSchemaEvaluations: {
      "": {
        definitionPath: "",
        schemaValidation: validation,
        tables,
        indexes,
        discardedStagedValidators: [],
      },
    },
    newComponentDefinitions: [],
  };
}

function schemaChangeFor(push) {
  return {
    allocatedComponentIds: {},
    schemaIds: { "": push.pushId },
    indexDiffs: { "": push.diff },
  };
}

function startPushResponse(dep, push) {
  return {
    environmentVariables: {},
    externalDepsId: null,
    componentDefinitionPackages: {},
    appAuth: [],
    analysis: {
      "": {
        definition: {
          path: "",
          definitionType: { type: "app" },
          childComponents: [],
          httpMounts: {},
          exports: { type: "branch", branch: [] },
          envVars: null,
        },
        schema: push.schema,
        functions: push.analysis,
        udfConfig: {
          serverVersion: push.udfServerVersion,
          importPhaseRngSeed: null,
          importPhaseUnixTimestamp: null,
        },
      },
    },
    app: {
      definitionPath: "",
      componentPath: "",
      args: {},
      childComponents: {},
      httpRoutes: { httpModuleRoutes: null, mounts: [] },
      exports: {},
    },
    schemaChange: schemaChangeFor(push),
  };
}

function pushStatus(dep, push) {
  if (push.failed)
    return {
      type: "failed",
      error: push.failed.error,
      componentPath: "",
      tableName: push.failed.tableName,
    };
  const total = push.diff.added_indexes.length;
  const elapsed = Date.now() - push.startedAt;
  const fraction = push.backfillMs <= 0 ? 1 : Math.min(1, elapsed / push.backfillMs);
  if (fraction >= 1 && !push.validated) {
    const invalid = findInvalidDocument(dep, push.schema);
    if (invalid) {
      push.failed = invalid;
      return {
        type: "failed",
        error: invalid.error,
        componentPath: "",
        tableName: invalid.tableName,
      };
    }
    push.validated = true;
  }
  if (push.validated) return { type: "complete" };
  return {
    type: "inProgress",
    components: {
      "": {
        schemaValidationComplete: false,
        indexesComplete: Math.floor(total * fraction),
        indexesTotal: total,
      },
    },
  };
}

function pushFor(dep, schemaChange) {
  const pushId = schemaChange?.schemaIds?.[""];
  const push = typeof pushId === "string" ? dep.pending.get(pushId) : undefined;
  if (!push) {
    throw new HttpError(
      400,
      "UnknownSchemaChange",
      "This schema change is unknown to the deployment; start the push again.",
    );
  }
  return push;
}

// ---------------------------------------------------------------------------------------------
// Functions

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

async function runFunctionInner(dep, { path: fnPath, args, kind, isAdmin, paused }) {
  const envelope = (rest) => rest;
  if (paused) return envelope({ status: "error", errorMessage: PAUSED_ERROR_MESSAGE });
  const parsed = parseFunctionPath(fnPath);
  const notFound = () =>
    envelope({
      status: "error",
      errorMessage:
        `Could not find public function for '${parsed?.modulePath ?? fnPath}:${parsed?.name ?? ""}'. ` +
        "Did you forget to run `npx convex dev` or `npx convex deploy`?",
    });
  if (!parsed || !dep.active?.modules.has(parsed.modulePath + ".js")) return notFound();
  const file = pathToFileURL(path.join(dep.active.dir, parsed.modulePath + ".js")).href;
  let fn;
  try {
    fn = (await import(file))[parsed.name];
  } catch (e) {
    return envelope({
      status: "error",
      errorMessage: `Uncaught ${e?.name ?? "Error"}: ${e?.message ?? e}`,
    });
  }
  if (!fn || !(fn.isQuery || fn.isMutation || fn.isAction)) return notFound();
  if (fn.isInternal && !isAdmin) return notFound();
  const actual = fn.isQuery ? "query" : fn.isMutation ? "mutation" : "action";
  if (kind !== "any" && kind !== actual) {
    const cap = (s) => s[0].toUpperCase() + s.slice(1);
    return envelope({
      status: "error",
      errorMessage: `Trying to execute ${parsed.modulePath}.js:${parsed.name} as ${cap(kind)}, but it is defined as ${cap(actual)}.`,
    });
  }
  const { t } = await dep.getRuntime();
  const ref = makeFunctionReference(`${parsed.modulePath}:${parsed.name}`);
  let convexArgs;
  try {
    const rawArgs = Array.isArray(args) ? (args[0] ?? {}) : (args ?? {});
    convexArgs = jsonToConvex(rawArgs);
  } catch (e) {
    return envelope({ status: "error", errorMessage: `Invalid arguments: ${e?.message ?? e}` });
  }
  try {
    const value = await t[actual](ref, convexArgs);
    return envelope({ status: "success", value: convexToJson(value === undefined ? null : value) });
  } catch (e) {
    if (e instanceof ConvexError || e?.name === "ConvexError") {
      return envelope({
        status: "error",
        errorMessage: `Uncaught ConvexError: ${typeof e.data === "string" ? e.data : JSON.stringify(convexToJson(e.data))}`,
        errorData: convexToJson(e.data ?? null),
      });
    }
    return envelope({
      status: "error",
      errorMessage: `Uncaught ${e?.name ?? "Error"}: ${e?.message ?? e}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Deployment endpoints

const ADMIN_ENDPOINTS = new Set([
  "/api/check_admin_key",
  "/api/streaming_import/get_schema",
  "/api/shapes2",
  "/api/get_config_hashes",
  "/api/deploy2/start_push",
  "/api/deploy2/evaluate_push",
  "/api/deploy2/evaluate_schema",
  "/api/deploy2/wait_for_schema",
  "/api/deploy2/finish_push",
  "/api/deploy2/report_push_completed",
]);

async function handleDeploymentRequest(dep, req, res) {
  const url = new URL(req.url, "http://emulator");
  const pathname = url.pathname.replace(/\/+$/, "") || "/";
  try {
    const fault = faultFor(dep, pathname);
    if (fault) {
      if (fault.latency_ms) await sleep(fault.latency_ms);
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.hang) {
        hangingSockets.add(req.socket);
        req.socket.on("close", () => hangingSockets.delete(req.socket));
        return; // never answer
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
        return;
      }
    }
    const { revoked, paused } = deploymentState(dep, pathname);
    const pushFault = (key) => dep.faults.get(pathname)?.[key] ?? dep.faults.get("*")?.[key];

    if (pathname === "/version") return sendText(res, 200, VERSION);
    if (pathname === "/instance_name") return sendText(res, 200, dep.name);

    if (
      pathname === "/api/query" ||
      pathname === "/api/mutation" ||
      pathname === "/api/action" ||
      pathname.startsWith("/api/run/")
    ) {
      if (req.method !== "POST") throw new HttpError(405, "MethodNotAllowed", "Use POST.");
      const body = await readJson(req);
      const fromHeader = headerKey(req);
      let isAdmin = false;
      if (typeof fromHeader === "string") {
        if (!keyMatches(dep, fromHeader, revoked)) throw badKey(dep);
        isAdmin = true;
      }
      let fnPath = body.path;
      let kind = pathname.slice("/api/".length);
      if (pathname.startsWith("/api/run/")) {
        const segments = pathname.slice("/api/run/".length).split("/").map(decodeURIComponent);
        const name = segments.pop();
        fnPath = `${segments.join("/")}:${name}`;
        kind = "any";
      }
      const result = await runFunction(dep, {
        path: fnPath,
        args: body.args,
        kind,
        isAdmin,
        paused,
      });
      return sendJson(res, 200, result);
    }

    if (!ADMIN_ENDPOINTS.has(pathname)) {
      return sendJson(res, 404, {
        code: "NotFound",
        message: `No route for ${req.method} ${pathname}`,
      });
    }
    const body = req.method === "GET" || req.method === "HEAD" ? {} : await readJson(req);
    requireAdmin(dep, req, body, revoked);

    switch (pathname) {
      case "/api/check_admin_key":
        return sendJson(res, 200, {
          success: true,
          allowedOps: ["*"],
          isReadOnly: false,
          compatibilityId: null,
        });
      case "/api/streaming_import/get_schema":
        return sendJson(res, 200, dep.active?.schema ?? null);
      case "/api/shapes2": {
        const shapes = {};
        for (const t of dep.tables()) {
          const docs = dep.documentsOf(t);
          shapes[t] = docs.length === 0 ? { type: "Never" } : { type: "Object", fields: [] };
        }
        return sendJson(res, 200, shapes);
      }
      case "/api/get_config_hashes":
        return sendJson(res, 200, {
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
        });
      case "/api/deploy2/evaluate_push": {
        const push = await evaluatePush(dep, body);
        return sendJson(res, 200, { schemaChange: schemaChangeFor(push) });
      }
      case "/api/deploy2/evaluate_schema": {
        const push = await evaluatePush(dep, body);
        return sendJson(res, 200, schemaEvaluation(dep, push));
      }
      case "/api/deploy2/start_push": {
        let push;
        try {
          push = await evaluatePush(dep, body);
        } catch (e) {
          if (e instanceof HttpError) {
            dep.pushes.push({
              pushId: null,
              at: new Date().toISOString(),
              dryRun: !!body.dryRun,
              status: "rejected",
              error: { code: e.code, message: e.message },
            });
          }
          throw e;
        }
        push.startedAt = Date.now();
        push.backfillMs = push.diff.added_indexes.length > 0 ? dep.backfillMs : 0;
        push.dryRun = !!body.dryRun;
        dep.pending.set(push.pushId, push);
        dep.latestPushId = push.pushId;
        // Abandoned pushes (a client that never finished) should not pile up.
        for (const id of [...dep.pending.keys()].slice(0, -8)) dep.pending.delete(id);
        dep.pushes.push({
          pushId: push.pushId,
          at: new Date().toISOString(),
          dryRun: push.dryRun,
          schema: push.schema,
          modules: [...push.modules.keys()],
          indexDiff: push.diff,
          status: "started",
        });
        return sendJson(res, 200, startPushResponse(dep, push));
      }
      case "/api/deploy2/wait_for_schema": {
        const push = pushFor(dep, body.schemaChange);
        if (pushFault("race") || dep.latestPushId !== push.pushId)
          return sendJson(res, 200, { type: "raceDetected" });
        const failTable = pushFault("schema_failure");
        if (failTable) {
          const tableName = typeof failTable === "string" ? failTable : (failTable.table ?? null);
          return sendJson(res, 200, {
            type: "failed",
            error: `Schema validation failed.\nDocument in table "${tableName}" does not match the schema.`,
            componentPath: "",
            tableName,
          });
        }
        const deadline = Date.now() + Math.min(Number(body.timeoutMs ?? 10000), 500);
        let status = pushStatus(dep, push);
        while (status.type === "inProgress" && Date.now() < deadline) {
          await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
          status = pushStatus(dep, push);
        }
        const log = dep.pushes.find((p) => p.pushId === push.pushId);
        if (log && status.type === "failed") {
          log.status = "failed";
          log.error = status.error;
        }
        return sendJson(res, 200, status);
      }
      case "/api/deploy2/finish_push": {
        const push = pushFor(dep, body.startPush?.schemaChange);
        if (dep.latestPushId !== push.pushId) {
          throw new HttpError(
            409,
            "RaceDetected",
            "Another push started after this one; push again.",
          );
        }
        // A caller that skipped wait_for_schema still gets the document check.
        push.startedAt = Math.min(push.startedAt, Date.now() - push.backfillMs);
        const status = pushStatus(dep, push);
        if (status.type === "failed") {
          throw new HttpError(400, "SchemaValidationFailed", status.error);
        }
        const previous = dep.active;
        const diff = {
          authDiff: { added: [], removed: [] },
          definitionDiffs: {},
          componentDiffs: {
            "": {
              diffType: { type: previous ? "modify" : "create" },
              moduleDiff: {
                added: [...push.modules.keys()].filter((p) => !previous?.modules.has(p)),
                removed: previous
                  ? [...previous.modules.keys()].filter((p) => !push.modules.has(p))
                  : [],
              },
              udfConfigDiff: previous
                ? null
                : { previous_version: "", next_version: push.udfServerVersion },
              cronDiff: { added: [], updated: [], deleted: [] },
              indexDiff: push.diff,
              schemaDiff: {
                previous_schema: previous?.schema ? JSON.stringify(previous.schema) : null,
                next_schema: push.schema ? JSON.stringify(push.schema) : null,
              },
            },
          },
        };
        dep.pending.delete(push.pushId);
        const log = dep.pushes.find((p) => p.pushId === push.pushId);
        if (body.dryRun || push.dryRun) {
          if (log) log.status = "dry_run";
          return sendJson(res, 200, diff);
        }
        // Activate modules and schema at once; the next function call builds a fresh runtime.
        dep.dropRuntime();
        dep.active = {
          pushId: push.pushId,
          schema: push.schema,
          schemaPath: push.schemaPath,
          dir: push.dir,
          modules: push.modules,
          udfServerVersion: push.udfServerVersion,
        };
        if (log) {
          log.status = "finished";
          log.message = body.message ?? null;
        }
        return sendJson(res, 200, diff);
      }
      case "/api/deploy2/report_push_completed":
        return sendJson(res, 200, {});
    }
  } catch (e) {
    if (e instanceof HttpError)
      return sendJson(res, e.status, { code: e.code, message: e.message });
    console.error(e);
    return sendJson(res, 500, { code: "InternalServerError", message: String(e?.message ?? e) });
  }
}

// ---------------------------------------------------------------------------------------------
// Control API (ours): /_emulator/...

function getDeployment(name) {
  const dep = deployments.get(name);
  if (!dep) throw new HttpError(404, "NoSuchDeployment", `No deployment named ${name}.`);
  return dep;
}

async function handleControlRequest(req, res) {
  const url = new URL(req.url, "http://emulator");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] !== "_emulator")
      throw new HttpError(404, "NotFound", "The control API lives under /_emulator/.");
    const [, resource, name, sub, arg, leaf] = parts;
    const method = req.method;
    if (resource === "health")
      return sendJson(res, 200, { ok: true, deployments: deployments.size });
    if (resource !== "deployments")
      throw new HttpError(404, "NotFound", `No route ${url.pathname}`);
    if (!name) {
      if (method === "GET")
        return sendJson(
          res,
          200,
          [...deployments.values()].map((d) => ({ name: d.name, url: d.url })),
        );
      if (method === "POST") {
        const body = await readJson(req);
        const dep = await createDeployment({
          name: body.name ?? undefined,
          adminKey: body.adminKey,
          backfillMs: body.backfillMs,
        });
        return sendJson(res, 201, {
          name: dep.name,
          url: dep.url,
          adminKey: dep.adminKey,
          port: dep.port,
        });
      }
    }
    const dep = getDeployment(name);
    if (!sub) {
      if (method === "GET") return sendJson(res, 200, dep.info());
      if (method === "DELETE") {
        deployments.delete(name);
        await dep.close();
        return sendJson(res, 200, { deleted: name });
      }
    }
    if (sub === "schema" && method === "GET") return sendJson(res, 200, dep.active?.schema ?? null);
    if (sub === "pushes" && method === "GET") return sendJson(res, 200, dep.pushes);
    if (sub === "config" && method === "POST") {
      const body = await readJson(req);
      if (body.backfillMs !== undefined) dep.backfillMs = Number(body.backfillMs);
      // A new deploy key for the same deployment (the old one stops working), as after rotation.
      if (typeof body.adminKey === "string" && body.adminKey.length > 0) dep.adminKey = body.adminKey;
      return sendJson(res, 200, dep.info());
    }
    if (sub === "faults") {
      if (method === "GET") return sendJson(res, 200, Object.fromEntries(dep.faults));
      if (method === "DELETE") {
        dep.faults.clear();
        return sendJson(res, 200, {});
      }
      if (method === "POST" || method === "PUT") {
        const body = await readJson(req);
        const key = normalizeEndpoint(body.endpoint);
        const fault = body.fault ?? {};
        const unknown = Object.keys(fault).filter((k) => !FAULT_KINDS.has(k));
        if (unknown.length > 0) {
          throw new HttpError(400, "UnknownFault", `Unknown fault kinds: ${unknown.join(", ")}`);
        }
        dep.faults.set(key, fault);
        return sendJson(res, 200, Object.fromEntries(dep.faults));
      }
    }
    if (sub === "tables" && !arg && method === "GET") return sendJson(res, 200, dep.tables());
    if (sub === "tables" && arg && leaf === "documents") {
      if (method === "GET")
        return sendJson(
          res,
          200,
          dep.documentsOf(arg).map((d) => convexToJson(d)),
        );
      if (method === "POST") {
        // Written as an import would: no schema check, so tests can seed data the next push rejects.
        const body = await readJson(req);
        if (!IDENTIFIER.test(arg))
          throw new HttpError(400, "InvalidTableName", `Invalid table name ${arg}`);
        const value = jsonToConvex(body.document ?? body);
        const _id = dep.generateId(arg);
        const now = Date.now();
        const last = dep.runtime ? dep.runtime.db._lastCreationTime : dep.store.lastCreationTime;
        const _creationTime = now <= last ? last + 0.001 : now;
        if (dep.runtime) dep.runtime.db._lastCreationTime = _creationTime;
        else dep.store.lastCreationTime = _creationTime;
        dep.store.documents[_id] = { ...value, _id, _creationTime };
        return sendJson(res, 201, { _id, _creationTime });
      }
    }
    throw new HttpError(404, "NotFound", `No route ${method} ${url.pathname}`);
  } catch (e) {
    if (e instanceof HttpError)
      return sendJson(res, e.status, { code: e.code, message: e.message });
    console.error(e);
    return sendJson(res, 500, { code: "InternalServerError", message: String(e?.message ?? e) });
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const control = http.createServer(handleControlRequest);
control.keepAliveTimeout = 5000;
await new Promise((resolve, reject) => {
  control.once("error", reject);
  control.listen(ARGS.port, ARGS.host, resolve);
});
for (const d of ARGS.deployments) await createDeployment(d);

// Signal handlers go in before the startup line: a parent may stop us as soon as it reads it.
let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const s of hangingSockets) s.destroy();
  control.closeAllConnections?.();
  control.close();
  await Promise.allSettled([...deployments.values()].map((d) => d.close()));
  if (OWN_WORKDIR) fs.rmSync(WORKDIR, { recursive: true, force: true });
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
// Stop when the parent (e.g. pytest) closes our stdin, so no emulator outlives its test run.
if (process.env.CONVEX_EMULATOR_EXIT_ON_STDIN_CLOSE === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}

const base = `http://${ARGS.host}:${control.address().port}`;
process.stdout.write(
  JSON.stringify({
    url: base,
    controlUrl: `${base}/_emulator`,
    pid: process.pid,
    deployments: Object.fromEntries([...deployments.values()].map((d) => [d.name, { url: d.url }])),
  }) + "\n",
);
