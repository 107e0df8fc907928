// HTTP plumbing shared by the deployment servers and the control server: Convex-style JSON errors
// ({code, message}), replies, and request bodies, which the CLI sends brotli-compressed.
import zlib from "node:zlib";
import { parseKeyedBody } from "./push_body_cache.mjs";

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function sendJson(res, status, body) {
  // A fault may already have answered or dropped the connection.
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

// A body that is already JSON text (function results keep the backend's number formatting).
export function sendRawJson(res, status, text) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendText(res, status, text) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

// Anything else that escapes a handler is our bug, not the caller's: log it, answer 500.
export function sendError(res, e) {
  if (e instanceof HttpError) return sendJson(res, e.status, { code: e.code, message: e.message });
  console.error(e);
  return sendJson(res, 500, { code: "InternalServerError", message: String(e?.message ?? e) });
}

// The request's URL; a target the URL parser refuses (such as "//") is a 400.
export function requestUrl(req) {
  try {
    return new URL(req.url, "http://emulator");
  } catch {
    throw new HttpError(400, "BadRequest", `Cannot parse the request target ${req.url}`);
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function readJson(req) {
  const raw = await readBody(req);
  const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
  // A push body the control plane compressed once for many deployments: decoded once.
  if (encoding === "br") return parseKeyedBody(req, raw, (r) => decodeJson(r, encoding));
  return decodeJson(raw, encoding);
}

function decodeJson(raw, encoding) {
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
