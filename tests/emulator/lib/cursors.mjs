// Pagination cursors as Convex hands them out: opaque, and valid only on the deployment that
// made them and for the query that made them. convex-test's own cursors are readable JSON that
// any deployment would accept; here each is sealed with the deployment's secret and a
// fingerprint of the query (its table, index, range, order and filters, as Convex's cursor
// carries a query fingerprint), and anything else is refused with the backend's InvalidCursor
// error (crates/database/src/query/mod.rs, invalid_cursor).
import crypto from "node:crypto";

const INVALID_CURSOR =
  "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is " +
  "from a different query.";

function invalidCursor() {
  // Thrown from a syscall with `data`, convex-js turns it into a ConvexError in the function.
  const error = new Error(INVALID_CURSOR);
  error.data = { isConvexSystemError: true, paginationError: "InvalidCursor" };
  return error;
}

export class CursorSeal {
  constructor(secret = crypto.randomBytes(32)) {
    this.secret = secret;
  }

  fingerprint(query) {
    return crypto.createHash("sha256").update(JSON.stringify(query)).digest("base64url");
  }

  mac(payload) {
    return crypto.createHmac("sha256", this.secret).update(payload).digest("base64url");
  }

  seal(inner, query) {
    if (typeof inner !== "string") return inner;
    const payload = Buffer.from(JSON.stringify([inner, this.fingerprint(query)])).toString(
      "base64url",
    );
    return `${payload}.${this.mac(payload)}`;
  }

  // The inner cursor of a sealed one made for `query`; null/undefined pass through.
  open(cursor, query) {
    if (cursor === null || cursor === undefined) return cursor;
    const [payload, mac, extra] = String(cursor).split(".");
    const expected = payload ? this.mac(payload) : "";
    if (
      extra !== undefined ||
      !mac ||
      mac.length !== expected.length ||
      !crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(expected))
    ) {
      throw invalidCursor();
    }
    const [inner, fingerprint] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (fingerprint !== this.fingerprint(query)) throw invalidCursor();
    return inner;
  }
}
