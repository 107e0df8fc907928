// The sync protocol's WebSocket (/api/<version>/sync), as far as the CLI uses it: `npx convex
// import` subscribes to `_system/cli/queryImport` to watch its import (npm convex
// src/cli/lib/run.ts `subscribe`, browser/sync/client.ts). Connect, Authenticate (the admin
// key) and ModifyQuerySet (Add/Remove) are read; every change of the session, and every change
// of the deployment's imports, is answered with one Transition from the version the client holds
// to the new one, carrying each query's value (QueryUpdated) or error (QueryFailed). Queries wait
// for the admin key: only the backend's own queries (admin only) are served here. Mutations and
// actions over the socket are not.
import crypto from "node:crypto";
import { WebSocketServer } from "ws";
import { runSystemQueryValue } from "./functions.mjs";
import { onImportChange } from "./snapshot_import.mjs";

const SYNC_PATH = /^\/api\/[^/]+\/sync\/?$/;
const wss = new WebSocketServer({ noServer: true });

function u64(ts) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(ts));
  return b.toString("base64");
}

function keyMatches(dep, key) {
  if (typeof key !== "string") return false;
  const a = Buffer.from(key);
  const b = Buffer.from(dep.adminKey);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

class SyncSession {
  constructor(dep, socket) {
    this.dep = dep;
    this.socket = socket;
    this.queries = new Map(); // queryId -> {udfPath, args}
    this.version = { querySet: 0, identity: 0 }; // what the client asked for
    this.sent = { querySet: 0, identity: 0, ts: 0 }; // what it was told
    this.admin = false;
  }

  receive(message) {
    switch (message.type) {
      case "Authenticate":
        this.version.identity = message.baseVersion + 1;
        if (message.tokenType === "Admin" && keyMatches(this.dep, message.value)) {
          this.admin = true;
        } else {
          this.admin = false;
          return this.send({
            type: "AuthError",
            error: "The admin key is not this deployment's.",
            baseVersion: message.baseVersion,
            authUpdateAttempted: true,
          });
        }
        break;
      case "ModifyQuerySet":
        for (const m of message.modifications ?? []) {
          if (m.type === "Add") this.queries.set(m.queryId, { udfPath: m.udfPath, args: m.args });
          else if (m.type === "Remove") this.queries.delete(m.queryId);
        }
        this.version.querySet = message.newVersion;
        break;
      default:
        return; // Connect, Event; mutations and actions are not served here
    }
    this.update();
  }

  // One Transition to the client's versions, with every query's current value.
  update(force = false) {
    const { querySet, identity } = this.version;
    const moved = querySet !== this.sent.querySet || identity !== this.sent.identity;
    if (!moved && !force) return;
    if (this.queries.size > 0 && !this.admin) return; // the key comes next; answer then
    const modifications = [...this.queries].map(([queryId, q]) => this.run(queryId, q));
    const endVersion = { querySet, identity, ts: this.sent.ts + 1 };
    this.send({
      type: "Transition",
      startVersion: { ...this.sent, ts: u64(this.sent.ts) },
      endVersion: { ...endVersion, ts: u64(endVersion.ts) },
      modifications,
      clientClockSkew: 0,
      serverTs: Date.now(),
    });
    this.sent = endVersion;
  }

  run(queryId, { udfPath, args }) {
    const call = Array.isArray(args) ? (args[0] ?? {}) : (args ?? {});
    try {
      const value = runSystemQueryValue(this.dep, udfPath, call);
      return { type: "QueryUpdated", queryId, value, logLines: [], journal: null };
    } catch (e) {
      const errorMessage = String(e?.message ?? e);
      return { type: "QueryFailed", queryId, errorMessage, logLines: [], journal: null };
    }
  }

  send(message) {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

export function handleSyncUpgrade(dep, req, socket, head) {
  const pathname = new URL(req.url, "http://x").pathname;
  if (!SYNC_PATH.test(pathname) || dep.state !== "running") {
    socket.write("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    return socket.destroy();
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const session = new SyncSession(dep, ws);
    const stop = onImportChange(dep, () => session.update(true));
    ws.on("message", (data) => {
      let message;
      try {
        message = JSON.parse(String(data));
      } catch {
        return ws.close(1002, "not JSON");
      }
      session.receive(message);
    });
    ws.on("close", stop);
    ws.on("error", stop);
  });
}
