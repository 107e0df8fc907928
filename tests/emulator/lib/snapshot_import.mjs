// Snapshot import, the endpoints `npx convex import <file>` calls (npm convex
// src/cli/lib/convexImport.ts): start_upload, upload_part (the file in parts), finish_upload
// (the parts put together and parsed: the import waits for confirmation, with the backend's
// change summary), perform_import (the documents written) and the queries the CLI watches,
// `_system/cli/queryImport` (one import's state, by id) and `_system/cli/queryImport:list`.
//
// ZIP snapshots only (a folder per table with documents.jsonl; README.md, _tables/ and
// generated_schema.jsonl are read past): each document keeps its `_id` and `_creationTime`, as
// a snapshot import keeps them. Modes: requireEmpty (the default: a table that holds documents
// fails the import), append, replace (the imported tables emptied first), replaceAll. Files'
// blobs (_storage/) and components are refused: the emulator has no file storage.
import crypto from "node:crypto";
import { tableOfId } from "./table_documents.mjs";
import { HttpError, requestUrl } from "./http.mjs";
import { readZip } from "./zip_reader.mjs";

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MODES = new Set(["requireEmpty", "append", "replace", "replaceAll"]);

function importsOf(dep) {
  dep.snapshotImports ??= {
    uploads: new Map(),
    imports: new Map(),
    counter: 0,
    listeners: new Set(),
  };
  return dep.snapshotImports;
}

function changed(dep) {
  for (const listener of importsOf(dep).listeners) listener();
}

export function onImportChange(dep, listener) {
  const own = importsOf(dep);
  own.listeners.add(listener);
  return () => own.listeners.delete(listener);
}

export function startUpload({ dep }) {
  const uploadToken = crypto.randomBytes(16).toString("hex");
  importsOf(dep).uploads.set(uploadToken, []);
  return { uploadToken };
}

// The part's body is the file's bytes (not JSON): the route reads it, not the router.
export async function uploadPart({ dep, req }) {
  const url = requestUrl(req);
  const parts = importsOf(dep).uploads.get(url.searchParams.get("uploadToken") ?? "");
  const number = Number(url.searchParams.get("partNumber"));
  if (parts === undefined) throw new HttpError(400, "InvalidUploadToken", "Unknown upload token.");
  if (!Number.isInteger(number) || number < 1 || number > 10000) {
    throw new HttpError(400, "InvalidPartNumber", "partNumber is 1 to 10000.");
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  parts[number - 1] = Buffer.concat(chunks);
  return `part-${number}`;
}

function newImport(dep, fields) {
  const own = importsOf(dep);
  const _id = `${String(++own.counter).padStart(24, "0")}_snapshot_imports`;
  const made = { _id, _creationTime: Date.now(), ...fields };
  own.imports.set(_id, made);
  changed(dep);
  return made;
}

export function finishUpload({ dep, body }) {
  const own = importsOf(dep);
  const parts = own.uploads.get(body?.uploadToken);
  if (parts === undefined) throw new HttpError(400, "InvalidUploadToken", "Unknown upload token.");
  own.uploads.delete(body.uploadToken);
  const args = body.import ?? {};
  const mode = args.mode ?? "requireEmpty";
  if (!MODES.has(mode)) throw new HttpError(400, "InvalidImportMode", `Unknown mode ${mode}.`);
  if (args.format !== "zip") {
    throw new HttpError(400, "UnsupportedImportFormat", "The emulator imports ZIP snapshots only.");
  }
  let tables;
  try {
    tables = parseSnapshot(Buffer.concat(parts.filter(Boolean)));
  } catch (e) {
    const made = newImport(dep, { mode, state: failed(e) });
    return { importId: made._id };
  }
  const made = newImport(dep, {
    mode,
    tables,
    state: {
      state: "waiting_for_confirmation",
      message_to_confirm: summary(dep, tables, mode),
      require_manual_confirmation: true,
    },
  });
  return { importId: made._id };
}

function failed(e) {
  return { state: "failed", error_message: String(e?.message ?? e) };
}

// Map(table -> [documents]) from a snapshot ZIP; throws the words the import fails with.
export function parseSnapshot(buf) {
  const tables = new Map();
  for (const { name, data } of readZip(buf)) {
    if (name.endsWith("/") || name === "README.md") continue;
    const parts = name.split("/");
    if (parts[0] === "_storage")
      throw new Error("File storage (_storage/) cannot be imported here.");
    if (parts[0] === "_components") throw new Error("Components cannot be imported here.");
    if (parts.length !== 2) throw new Error(`Unexpected file in the snapshot: ${name}`);
    const [table, file] = parts;
    if (table === "_tables" || file === "generated_schema.jsonl") continue;
    if (file !== "documents.jsonl") throw new Error(`Unexpected file in the snapshot: ${name}`);
    if (!TABLE_NAME.test(table)) throw new Error(`Invalid table name in the snapshot: ${table}`);
    const docs = [];
    const lines = data.toString("utf8").split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let doc;
      try {
        doc = JSON.parse(line);
      } catch {
        throw new Error(`${name}:${i + 1}: not valid JSON`);
      }
      if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new Error(`${name}:${i + 1}: not an object`);
      }
      if (doc._id !== undefined && (typeof doc._id !== "string" || tableOfId(doc._id) !== table)) {
        throw new Error(
          `${name}:${i + 1}: _id ${JSON.stringify(doc._id)} is not an id of ${table}`,
        );
      }
      docs.push(doc);
    });
    tables.set(table, docs);
  }
  return tables;
}

function summary(dep, tables, mode) {
  const rows = [...tables].map(([t, docs]) => {
    const existing = dep.documentsOf(t).length;
    const deleted = mode === "replace" || mode === "replaceAll" ? existing : 0;
    return [t, String(docs.length), `${deleted} of ${existing}`];
  });
  const header = ["table", "create", "delete"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  return [
    "Import change summary:",
    line(header),
    "-".repeat(line(header).length),
    ...rows.map(line),
    "Once the import has started, it will run in the background.",
    "Interrupting `npx convex import` will not cancel it.",
  ].join("\n");
}

export function performImport({ dep, body }) {
  const made = importsOf(dep).imports.get(body?.importId);
  if (made === undefined) throw new HttpError(404, "ImportNotFound", "No such import.");
  if (made.state.state !== "waiting_for_confirmation") {
    throw new HttpError(400, "ImportNotConfirmable", `The import is ${made.state.state}.`);
  }
  try {
    made.state = { state: "completed", num_rows_written: write(dep, made.tables, made.mode) };
  } catch (e) {
    made.state = failed(e);
  }
  delete made.tables;
  changed(dep);
  return {};
}

// All checked before anything is written: an import writes everything or nothing.
function write(dep, tables, mode) {
  const store = dep.store;
  if (mode === "requireEmpty") {
    for (const t of tables.keys()) {
      const existing = dep.documentsOf(t).length;
      if (existing > 0) {
        throw new Error(
          `Table "${t}" has ${existing} document(s): import into empty tables only, or use ` +
            "--replace or --append.",
        );
      }
    }
  }
  const dropping = new Set(
    mode === "replaceAll" ? dep.tables() : mode === "replace" ? tables.keys() : [],
  );
  const seen = new Set();
  for (const docs of tables.values()) {
    for (const doc of docs) {
      if (doc._id === undefined) continue;
      const taken = store.documents[doc._id] && !dropping.has(tableOfId(doc._id));
      if (seen.has(doc._id) || taken) throw new Error(`Document ${doc._id} exists already.`);
      seen.add(doc._id);
    }
  }
  for (const [id, doc] of Object.entries(store.documents)) {
    if (dropping.has(tableOfId(doc._id))) delete store.documents[id];
  }
  let written = 0;
  for (const [t, docs] of tables) {
    for (const doc of docs) {
      store.insertImported(t, doc);
      written++;
    }
  }
  return written;
}

// The CLI's queries (admin only, through lib/functions.mjs's system queries).
function publicImport(made) {
  const { tables: _, ...shown } = made;
  return shown;
}

export function queryImport(dep, args) {
  const made = importsOf(dep).imports.get(String(args?.importId ?? ""));
  return made === undefined ? null : publicImport(made);
}

export function listImports(dep) {
  return [...importsOf(dep).imports.values()].map(publicImport);
}
