// What the backend answers at each step of a push, in the shapes the CLI reads: evaluate_schema's
// evaluation, the schemaChange token, start_push's analysis and finish_push's diff. Pure
// functions of a deployment and an evaluated push.
import { indexConfigs } from "./index_diff.mjs";

// What the CLI's pre-push checks read (index sizes, tables to walk) before it starts a push.
export function schemaEvaluation(dep, push) {
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

export function schemaChangeFor(push) {
  return {
    allocatedComponentIds: {},
    schemaIds: { "": push.pushId },
    indexDiffs: { "": push.diff },
  };
}

export function startPushResponse(dep, push) {
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

// finish_push's answer: what changes when `push` replaces `previous` (the active push, or null).
export function finishPushDiff(previous, push) {
  return {
    authDiff: { added: [], removed: [] },
    definitionDiffs: {},
    componentDiffs: {
      "": {
        diffType: { type: previous ? "modify" : "create" },
        moduleDiff: {
          added: [...push.modules.keys()].filter((p) => !previous?.modules.has(p)),
          removed: previous ? [...previous.modules.keys()].filter((p) => !push.modules.has(p)) : [],
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
}
