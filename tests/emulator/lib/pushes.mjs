// The push protocol's steps on one deployment (DESIGN.md, "Convex facts"): evaluate_push and
// evaluate_schema (look, change nothing), start_push (remember the push), wait_for_schema
// (simulated index backfill, then the existing documents checked against the new schema) and
// finish_push (activate modules and schema at once). Every push lands in the deployment's push log.
import { findInvalidDocument } from "./document_validation.mjs";
import { HttpError, sleep } from "./http.mjs";
import { evaluatePush } from "./push_evaluation.mjs";
import {
  finishPushDiff,
  schemaChangeFor,
  schemaEvaluation,
  startPushResponse,
} from "./push_responses.mjs";

// Unfinished pushes kept per deployment; abandoned ones (a client that never finished) must not
// pile up.
const MAX_PENDING = 8;

// Backfill progresses with time; once it is done the documents are checked, once.
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

// The schemaChange token (from start_push's answer) names the push by its id.
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

export async function evaluatePushEndpoint({ dep, body }) {
  const push = await evaluatePush(dep, body);
  return { schemaChange: schemaChangeFor(push) };
}

export async function evaluateSchemaEndpoint({ dep, body }) {
  const push = await evaluatePush(dep, body);
  return schemaEvaluation(dep, push);
}

export async function startPush({ dep, body }) {
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
  for (const id of [...dep.pending.keys()].slice(0, -MAX_PENDING)) dep.pending.delete(id);
  dep.pushes.push({
    pushId: push.pushId,
    at: new Date().toISOString(),
    dryRun: push.dryRun,
    schema: push.schema,
    modules: [...push.modules.keys()],
    indexDiff: push.diff,
    status: "started",
  });
  return startPushResponse(dep, push);
}

// Long-polls up to 500 ms (the CLI asks again while inProgress). `fault` reads the race and
// schema_failure faults.
export async function waitForSchema({ dep, body, fault }) {
  const push = pushFor(dep, body.schemaChange);
  if (fault("race") || dep.latestPushId !== push.pushId) return { type: "raceDetected" };
  const failTable = fault("schema_failure");
  if (failTable) {
    const tableName = typeof failTable === "string" ? failTable : (failTable.table ?? null);
    return {
      type: "failed",
      error: `Schema validation failed.\nDocument in table "${tableName}" does not match the schema.`,
      componentPath: "",
      tableName,
    };
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
  return status;
}

export async function finishPush({ dep, body }) {
  const push = pushFor(dep, body.startPush?.schemaChange);
  if (dep.latestPushId !== push.pushId) {
    throw new HttpError(409, "RaceDetected", "Another push started after this one; push again.");
  }
  // A caller that skipped wait_for_schema still gets the document check.
  push.startedAt = Math.min(push.startedAt, Date.now() - push.backfillMs);
  const status = pushStatus(dep, push);
  if (status.type === "failed") {
    throw new HttpError(400, "SchemaValidationFailed", status.error);
  }
  const previous = dep.active;
  const diff = finishPushDiff(previous, push);
  dep.pending.delete(push.pushId);
  const log = dep.pushes.find((p) => p.pushId === push.pushId);
  if (body.dryRun || push.dryRun) {
    if (log) log.status = "dry_run";
    return diff;
  }
  // Modules and schema switch together; the next function call builds a fresh runtime.
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
  return diff;
}
