// Evaluating a push request (start_push, evaluate_push, evaluate_schema all begin here): write
// its bundle to disk, load its schema, apply the backend's schema rules, diff the indexes against
// the active schema and analyze each module's functions as the backend reports them.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SERVER_VERSION } from "./deployment.mjs";
import { HttpError } from "./http.mjs";
import { indexDiff } from "./index_diff.mjs";
import { validateSchemaRules } from "./schema_rules.mjs";
import { importOnce } from "./module_cache.mjs";

function sha256(bundle) {
  return crypto
    .createHash("sha256")
    .update(bundle.source ?? "")
    .update(bundle.sourceMap ?? "")
    .digest("hex");
}

export async function evaluatePush(dep, body) {
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
  const contentKey = key.digest("hex").slice(0, 40);
  const dir = path.join(dep.workdir, "bundles", contentKey);
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
  // What a module set evaluates to depends on its content only: evaluated once per content
  // hash (and schema path), then reused by every deployment it is pushed to.
  const memoKey = `${dep.workdir}\0${contentKey}\0${schemaPath}\0${[...modules.keys()].sort()}`;
  let evaluated = EVALUATED.get(memoKey);
  if (!evaluated) {
    evaluated = await evaluateBundle(dir, modules, schemaPath);
    EVALUATED.set(memoKey, evaluated);
  }
  const { schema, analysis } = evaluated;
  const diff = indexDiff(dep.active?.schema ?? null, schema);
  return {
    pushId,
    dir,
    modules,
    schema,
    schemaPath,
    diff,
    analysis,
    udfServerVersion: app.udfServerVersion ?? SERVER_VERSION,
  };
}

// Content key -> {schema, analysis}: both are read, never changed, by whoever pushes them.
const EVALUATED = new Map();

async function evaluateBundle(dir, modules, schemaPath) {
  let schema = null;
  if (schemaPath) {
    let exported;
    try {
      const mod = await importOnce(pathToFileURL(path.join(dir, schemaPath)).href);
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
  const analysis = await analyzeModules(dir, modules, schemaPath);
  return { schema, analysis };
}

// What the backend reports about each module's functions (the CLI's codegen reads it).
async function analyzeModules(dir, modules, schemaPath) {
  const functions = {};
  for (const modulePath of modules.keys()) {
    if (modulePath.startsWith("_deps/") || modulePath === schemaPath || !modulePath.endsWith(".js"))
      continue;
    let exports;
    try {
      exports = await importOnce(pathToFileURL(path.join(dir, modulePath)).href);
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
