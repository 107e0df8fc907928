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
//
// This file is the process: arguments, startup, the startup line, shutdown. What it serves lives
// in lib/ (README.md has the map).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { controlRequestHandler } from "./lib/control_api.mjs";
import { checkConvexTest, describeProblems } from "./lib/convex_test_check.mjs";
import { Registry } from "./lib/deployment.mjs";
import { handleDeploymentRequest } from "./lib/deployment_api.mjs";
import { destroyHangingSockets } from "./lib/faults.mjs";
import { handleSyncUpgrade } from "./lib/sync.mjs";

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

// Deployments keep their documents in convex-test's private class; refuse to run on a convex-test
// whose internals are not the ones lib/convex_test_internals.mjs was written against.
const internals = await checkConvexTest();
if (internals.problems.length > 0) {
  process.stderr.write(describeProblems(internals.problems));
  process.exit(1);
}

const WORKDIR = ARGS.workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-"));
const OWN_WORKDIR = ARGS.workdir === null;

const registry = new Registry({
  host: ARGS.host,
  backfillMs: ARGS.backfillMs,
  workdir: WORKDIR,
  handleRequest: handleDeploymentRequest,
  handleUpgrade: handleSyncUpgrade,
});

const control = http.createServer(controlRequestHandler(registry));
control.keepAliveTimeout = 5000;
await new Promise((resolve, reject) => {
  control.once("error", reject);
  control.listen(ARGS.port, ARGS.host, resolve);
});
for (const d of ARGS.deployments) await registry.create(d);

// Signal handlers go in before the startup line: a parent may stop us as soon as it reads it.
let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  destroyHangingSockets();
  control.closeAllConnections?.();
  control.close();
  await registry.closeAll();
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
    deployments: Object.fromEntries(registry.list().map((d) => [d.name, { url: d.url }])),
  }) + "\n",
);
