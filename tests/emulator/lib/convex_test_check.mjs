// The check of convex-test's private parts that lib/convex_test_internals.mjs relies on: each
// one, by structure and then by a round trip through a bound instance, against the version they
// were read in (README.md, "convex-test internals"). server.mjs runs it before anything else and
// refuses to start when it finds a problem; check_convex_test.mjs runs it alone.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import {
  CHECKED_VERSION,
  ENTRY_SUFFIX,
  INTERNALS,
  WRITERS,
  catchDatabases,
  createRuntime,
  databaseFake,
  loaded,
} from "./convex_test_internals.mjs";
import { TableDocuments } from "./table_documents.mjs";

function installedVersion(entry) {
  const manifest = new URL("../package.json", entry);
  return JSON.parse(fs.readFileSync(manifest, "utf8")).version;
}

// The store's tables count the queries they serve (convex-test still asks _iterateDocs).
class CountedTables extends TableDocuments {
  served = 0;
  candidates(table, source) {
    this.served += 1;
    return super.candidates(table, source);
  }
}

function probeStore() {
  const issued = [];
  const tables = new CountedTables();
  tables.keepAbove = 0; // the round trip's few documents are kept as many would be
  return {
    tables,
    documents: tables.documents,
    lastCreationTime: 0,
    issued,
    generateId(table) {
      issued.push(String(issued.length + 1).padStart(32 - table.length, "0") + table);
      return issued.at(-1);
    },
  };
}

// Committed documents, served from kept sorted documents: two pages (the second searched from
// its cursor) and a bound, as JSON of the documents' n; or what went wrong.
async function keptRoundTrip(t) {
  try {
    const byTime = (ctx) => ctx.db.query("probe").withIndex("by_creation_time");
    const first = await t.run((ctx) => byTime(ctx).paginate({ cursor: null, numItems: 1 }));
    const second = await t.run((ctx) =>
      byTime(ctx).paginate({ cursor: first.continueCursor, numItems: 1 }),
    );
    const bounded = await t.run((ctx) =>
      ctx.db
        .query("probe")
        .withIndex("by_creation_time", (q) => q.gt("_creationTime", 1))
        .collect(),
    );
    const n = (docs) => docs.map((d) => d.n);
    return JSON.stringify([n([...first.page, ...second.page]), n(bounded)]);
  } catch (e) {
    return `failed: ${e?.message ?? e}`;
  }
}

// Each problem names the internal and what changed. Structure first (cheap, precise messages),
// then one round trip through a bound instance, which proves convex-test still uses the fields
// the way bindToStore assumes.
async function findProblems() {
  if (loaded.error)
    return [`import("convex-test") failed: ${loaded.error?.message ?? loaded.error}`];
  const problems = [];
  const version = installedVersion(loaded.entry);
  if (version !== CHECKED_VERSION) {
    problems.push(
      `convex-test ${version} is installed, but its internals were checked against ` +
        `${CHECKED_VERSION} (package.json pins the version)`,
    );
  }
  if (!loaded.entry.endsWith(ENTRY_SUFFIX)) {
    problems.push(
      `convex-test's entry is ${fileURLToPath(loaded.entry)}, not …${ENTRY_SUFFIX}: the load ` +
        "hook that exposes DatabaseFake does not apply to it",
    );
  }
  if (typeof loaded.module.convexTest !== "function") {
    problems.push("convex-test no longer exports convexTest()");
  }
  const DatabaseFake = databaseFake();
  if (typeof DatabaseFake !== "function") {
    problems.push("convex-test/dist/index.js no longer defines a top-level class DatabaseFake");
    return problems;
  }
  for (const [method, arity] of [
    ["validateSchema", 0],
    ["_generateId", 1],
    ["_addWrite", 2],
    ["paginate", 1],
    ["_iterateDocs", 2],
    ["_resolveQuerySource", 1],
    ...WRITERS,
  ]) {
    const fn = DatabaseFake.prototype[method];
    if (typeof fn !== "function") problems.push(`DatabaseFake.prototype.${method}() is gone`);
    else if (fn.length !== arity) {
      problems.push(
        `DatabaseFake.prototype.${method}() takes ${fn.length} arguments, expected ${arity}`,
      );
    }
  }
  if (problems.length > 0) return problems;

  const { value: db, created } = catchDatabases(DatabaseFake, () => new DatabaseFake(null, ""));
  if (created.length !== 1 || created[0] !== db) {
    problems.push("the DatabaseFake constructor no longer calls validateSchema()");
  }
  const own = (field) => Object.getOwnPropertyDescriptor(db, field);
  const documents = own("_documents")?.value;
  if (!documents || Object.getPrototypeOf(documents) !== Object.prototype) {
    problems.push("DatabaseFake instances have no _documents object (id -> document)");
  }
  if (typeof own("_lastCreationTime")?.value !== "number") {
    problems.push("DatabaseFake instances have no numeric _lastCreationTime field");
  }
  if (!Array.isArray(own("_writes")?.value)) {
    problems.push("DatabaseFake instances have no _writes array (pending writes per level)");
  }
  if (problems.length > 0) return problems;

  const store = probeStore();
  const seeded = store.generateId("probe");
  store.documents[seeded] = { n: 0, _id: seeded, _creationTime: 1 };
  store.lastCreationTime = 1;
  let outcome;
  const watched = [];
  const checkWrite = (op, document) => watched.push([op, document.n]);
  try {
    const t = createRuntime(undefined, { "./_generated/api.js": async () => ({}) }, store, {
      checkWrite,
    });
    outcome = await t.run(async (ctx) => ({
      seen: await ctx.db.get(seeded),
      inserted: await ctx.db.insert("probe", { n: 1 }),
      patched: await ctx.db.patch(seeded, { n: 2 }),
      listed: (await ctx.db.query("probe").collect()).map((d) => d.n),
    }));
    outcome.kept = await keptRoundTrip(t);
  } catch (e) {
    return [`a convex-test instance bound to a store failed: ${e?.message ?? e}`];
  }
  if (outcome.seen?.n !== 0) {
    problems.push("convex-test no longer reads documents from DatabaseFake._documents");
  }
  if (store.issued.length !== 2 || outcome.inserted !== store.issued[1]) {
    problems.push("convex-test no longer takes new ids from DatabaseFake._generateId()");
  }
  if (store.documents[outcome.inserted]?.n !== 1) {
    problems.push("convex-test no longer commits documents into DatabaseFake._documents");
  }
  if (
    JSON.stringify(watched) !==
    JSON.stringify([
      ["db.insert", 1],
      ["db.patch", 2],
    ])
  ) {
    problems.push(
      "convex-test's insert() and patch() no longer hand their documents to _addWrite()",
    );
  }
  if (store.tables.served === 0 || JSON.stringify(outcome.listed) !== "[2,1]") {
    problems.push(
      "convex-test's queries no longer take their documents from _iterateDocs() " +
        "through _resolveQuerySource()",
    );
  }
  if (outcome.kept !== "[[2,1],[1]]") {
    problems.push(
      "convex-test's _resolveQuerySource() no longer answers {sortedDocs, fieldPathsToSortBy} " +
        `that paginate() pages through from its cursor (${outcome.kept})`,
    );
  }
  const creationTime = store.documents[outcome.inserted]?._creationTime;
  if (!(creationTime > 1) || store.lastCreationTime !== creationTime) {
    problems.push("convex-test no longer keeps its creation-time clock in _lastCreationTime");
  }
  return problems;
}

// {version, checkedVersion, internals, problems: [...]}; no problems: the emulator can rely on them.
export async function checkConvexTest() {
  const problems = await findProblems();
  const version = loaded.entry ? installedVersion(loaded.entry) : null;
  return { version, checkedVersion: CHECKED_VERSION, internals: INTERNALS, problems };
}

export function describeProblems(problems) {
  return (
    "convex-test's internals are not what the emulator relies on:\n" +
    problems.map((p) => `  - ${p}\n`).join("") +
    `They were checked against convex-test ${CHECKED_VERSION}; see tests/emulator/README.md, ` +
    '"convex-test internals".\n'
  );
}
