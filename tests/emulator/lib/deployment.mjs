// Deployments and the registry of them: what one deployment holds (its port, admin key, active
// modules and schema, documents, pushes, faults) and the convex-test runtime its functions run on.
// A deployment's documents live in its DocumentStore, outside any runtime, because every push
// replaces the runtime and the data (with its ids) must survive that.
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { newAdminKey } from "./auth.mjs";
import { CallCounter } from "./calls.mjs";
import { ConcurrencyCap } from "./concurrency.mjs";
import { CursorSeal } from "./cursors.mjs";
import { createRuntime } from "./convex_test_internals.mjs";
import { checkWrite } from "./document_limits.mjs";
import { HttpError } from "./http.mjs";
import { importOnce } from "./module_cache.mjs";
import { TableDocuments } from "./table_documents.mjs";

// The Convex version we claim (GET /version) and the default udfServerVersion of a push.
export const SERVER_VERSION = "1.48.0";

const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;


// Ids and creation times look like convex-test's own (digits + table name), and their counters
// are per deployment, shared by every runtime it ever had: a mutation still running on the
// previous runtime during a push cannot hand out an id (or a creation time) the new one also does.
class DocumentStore {
  tables = new TableDocuments(); // the documents, also grouped by table
  documents = this.tables.documents; // id -> document (convex-test values, with system fields)
  nextDocId = 10000;
  lastCreationTime = 0;

  generateId(table) {
    const counter = String(this.nextDocId++).padStart(32 - table.length, "0");
    return counter + table;
  }

  // Written as an import would: no schema check, so tests can seed data the next push rejects;
  // a numeric `_creationTime` is kept, as a snapshot import keeps it (equal ones included).
  insertUnchecked(table, value) {
    const _id = this.generateId(table);
    const now = Date.now();
    const last = this.lastCreationTime;
    const given = typeof value._creationTime === "number" ? value._creationTime : null;
    const _creationTime = given ?? (now <= last ? last + 0.001 : now);
    this.lastCreationTime = Math.max(last, _creationTime);
    this.documents[_id] = { ...value, _id, _creationTime };
    return { _id, _creationTime };
  }

  // Written as a snapshot import writes (lib/snapshot_import.mjs): the document's own `_id` (an
  // id of `table`, checked by the caller) and `_creationTime` kept; ids handed out later stay
  // clear of the imported ones.
  insertImported(table, value) {
    if (value._id === undefined) return this.insertUnchecked(table, value);
    const counter = /^[0-9]+/.exec(value._id);
    if (counter) this.nextDocId = Math.max(this.nextDocId, Number(counter[0]) + 1);
    const _creationTime =
      typeof value._creationTime === "number" ? value._creationTime : this.lastCreationTime + 0.001;
    this.lastCreationTime = Math.max(this.lastCreationTime, _creationTime);
    this.documents[value._id] = { ...value, _creationTime };
    return { _id: value._id, _creationTime };
  }
}

class Deployment {
  constructor(name, adminKey, { backfillMs, host, workdir }) {
    this.name = name;
    this.adminKey = adminKey;
    this.backfillMs = backfillMs;
    this.host = host;
    this.workdir = workdir; // where pushed bundles are written
    // {pushId, schema (export JSON) | null, schemaPath, dir, modules: Map(path -> {sha256,
    // environment}), udfServerVersion}
    this.active = null;
    this.store = new DocumentStore();
    this.runtime = null; // a convexTest() instance, built on the first function call after a push
    this.pending = new Map(); // pushId -> push
    this.latestPushId = null;
    this.pushes = []; // log
    this.faults = new Map(); // endpoint -> fault
    this.calls = new CallCounter(); // function calls run, for tests to count
    this.concurrency = new ConcurrencyCap(); // queries and mutations running at once
    this.cursors = new CursorSeal(); // pagination cursors are valid on this deployment only
    // "running", "paused" (functions refuse to run; the key still checks) or "deleted" (every
    // request answers 404 DeploymentNotFound, as for a cloud deployment that was deleted).
    this.state = "running";
    // Convex's per-transaction limits, enforced by convex-test (lib/functions.mjs words their
    // errors as the backend does): true for Convex's own, or an object overriding some of them.
    this.transactionLimits = true;
    this.server = null;
    this.port = null;
  }

  get url() {
    return `http://${this.host}:${this.port}`;
  }

  async listen(handleRequest, handleUpgrade = null) {
    this.server = http.createServer((req, res) => handleRequest(this, req, res));
    // WebSockets (the sync protocol the CLI subscribes with: lib/sync.mjs).
    if (handleUpgrade) {
      this.server.on("upgrade", (req, socket, head) => handleUpgrade(this, req, socket, head));
    }
    this.server.keepAliveTimeout = 5000;
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, this.host, resolve);
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
      transactionLimits: this.transactionLimits,
      concurrency: this.concurrency.info(),
      faults: Object.fromEntries(this.faults),
      state: this.state,
    };
  }

  // Another project pushed over whatever ran here: none of its modules are ours, it has no
  // schema, and the documents stay (the CLI of another project would do that).
  pushForeign() {
    this.dropRuntime();
    this.active = {
      pushId: `foreign-${this.pushes.length + 1}`,
      schema: null,
      schemaPath: null,
      dir: this.workdir,
      modules: new Map(),
      udfServerVersion: null,
    };
    this.pushes.push({
      pushId: this.active.pushId,
      at: new Date().toISOString(),
      status: "finished",
      foreign: true,
    });
  }

  // Start as a copy of `other`: the same active modules and schema (its bundle on disk is
  // shared, never changed), and a copy of its documents.
  copyFrom(other) {
    this.active = other.active;
    this.store.tables.assign(structuredClone(other.store.tables.byId));
    this.store.nextDocId = other.store.nextDocId;
    this.store.lastCreationTime = other.store.lastCreationTime;
  }

  documentsOf(table) {
    return this.store.tables.of(table);
  }

  tables() {
    const names = new Set(this.store.tables.tableNames());
    for (const t of this.active?.schema?.tables ?? []) names.add(t.tableName);
    return [...names].sort();
  }

  // The next function call builds a runtime on the newly active modules and schema.
  dropRuntime() {
    this.runtime = null;
  }

  async getRuntime() {
    if (this.runtime) return this.runtime;
    const modules = { "./_generated/api.js": async () => ({}) };
    let schemaDefinition;
    if (this.active) {
      for (const modulePath of this.active.modules.keys()) {
        const file = pathToFileURL(path.join(this.active.dir, modulePath)).href;
        modules["./" + modulePath] = () => importOnce(file);
      }
      if (this.active.schema !== null && this.active.schemaPath) {
        const file = pathToFileURL(path.join(this.active.dir, this.active.schemaPath)).href;
        schemaDefinition = (await importOnce(file)).default;
      }
    }
    if (this.runtime) return this.runtime; // a concurrent request got there first
    this.runtime = createRuntime(schemaDefinition, modules, this.store, {
      transactionLimits: this.transactionLimits,
      checkWrite,
      cursors: this.cursors,
    });
    return this.runtime;
  }
}

// Every deployment of this process, by name. Each listens on its own port; `handleRequest` (the
// deployment API) answers for all of them.
export class Registry {
  constructor({ host, backfillMs, workdir, handleRequest, handleUpgrade = null }) {
    this.host = host;
    this.backfillMs = backfillMs;
    this.workdir = workdir;
    this.handleRequest = handleRequest;
    this.handleUpgrade = handleUpgrade;
    this.deployments = new Map();
    this.counter = 0;
  }

  get size() {
    return this.deployments.size;
  }

  list() {
    return [...this.deployments.values()];
  }

  async create({ name, adminKey, backfillMs, copyOf } = {}) {
    name = name ?? `emulated-${process.pid}-${++this.counter}`;
    if (!DEPLOYMENT_NAME.test(name)) {
      throw new HttpError(
        400,
        "InvalidName",
        `Deployment names use letters, digits and dashes: ${name}`,
      );
    }
    if (this.deployments.has(name))
      throw new HttpError(409, "DeploymentExists", `Deployment ${name} exists.`);
    const dep = new Deployment(name, adminKey ?? newAdminKey(name), {
      backfillMs: backfillMs ?? this.backfillMs,
      host: this.host,
      workdir: this.workdir,
    });
    if (copyOf !== undefined) dep.copyFrom(this.get(copyOf));
    this.deployments.set(name, dep);
    try {
      await dep.listen(this.handleRequest, this.handleUpgrade);
    } catch (e) {
      this.deployments.delete(name);
      throw e;
    }
    return dep;
  }

  get(name) {
    const dep = this.deployments.get(name);
    if (!dep) throw new HttpError(404, "NoSuchDeployment", `No deployment named ${name}.`);
    return dep;
  }

  async delete(name) {
    const dep = this.get(name);
    this.deployments.delete(name);
    await dep.close();
  }

  async closeAll() {
    await Promise.allSettled(this.list().map((d) => d.close()));
  }
}
