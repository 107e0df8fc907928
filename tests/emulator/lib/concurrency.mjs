// A deployment's concurrency cap, as the backend's function runner has one
// (crates/application/src/application_function_runner/mod.rs): at most N queries and N mutations
// run at once (16 each by default, the free and starter plans' numbers); a call waits up to W
// for a slot (5 s by default) and is then refused with 429 TooManyConcurrentRequests, in the
// backend's words. Actions are not capped here.
import { HttpError } from "./http.mjs";

const DEFAULT_SLOTS = 16; // DEFAULT_APPLICATION_MAX_FUNCTION_CONCURRENCY
const DEFAULT_WAIT_MS = 5000;
const CAPPED = ["query", "mutation"];

class Slots {
  constructor(kind, total) {
    this.kind = kind;
    this.total = total;
    this.running = 0;
    this.waiting = []; // resolve functions, first come first served
  }

  tooMany() {
    const help =
      this.total > DEFAULT_SLOTS
        ? "If you need more resources, please contact support."
        : "To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.";
    return new HttpError(
      429,
      "TooManyConcurrentRequests",
      `Too many concurrent requests. Your backend is limited to ${this.total} concurrent ` +
        `${this.kind}s. ${help}`,
    );
  }

  // Resolves to a release function once a slot is free; rejects after waitMs.
  acquire(waitMs) {
    if (this.running < this.total) {
      this.running += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = () => {
        clearTimeout(timer);
        this.running += 1;
        resolve(this.releaser());
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(this.tooMany());
      }, waitMs);
      this.waiting.push(entry);
    });
  }

  releaser() {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      this.wake();
    };
  }

  // Hands free slots to waiters (also after the cap was raised).
  wake() {
    while (this.running < this.total && this.waiting.length > 0) this.waiting.shift()();
  }
}

export class ConcurrencyCap {
  constructor() {
    this.waitMs = DEFAULT_WAIT_MS;
    this.slots = Object.fromEntries(CAPPED.map((k) => [k, new Slots(k, DEFAULT_SLOTS)]));
  }

  acquire(kind) {
    const slots = this.slots[kind];
    return slots ? slots.acquire(this.waitMs) : Promise.resolve(() => {});
  }

  // {queries?, mutations?, waitMs?}: positive slot counts, a non-negative wait.
  configure(config) {
    const ok = (n, min) => n === undefined || (Number.isInteger(n) && n >= min);
    const valid =
      config !== null &&
      typeof config === "object" &&
      !Array.isArray(config) &&
      Object.keys(config).every((k) => ["queries", "mutations", "waitMs"].includes(k)) &&
      ok(config.queries, 1) &&
      ok(config.mutations, 1) &&
      ok(config.waitMs, 0);
    if (!valid) {
      throw new HttpError(
        400,
        "InvalidConcurrency",
        "concurrency is {queries?, mutations?} (positive integers) and waitMs? (a non-negative integer).",
      );
    }
    if (config.queries !== undefined) this.slots.query.total = config.queries;
    if (config.mutations !== undefined) this.slots.mutation.total = config.mutations;
    if (config.waitMs !== undefined) this.waitMs = config.waitMs;
    for (const s of Object.values(this.slots)) s.wake();
  }

  info() {
    return {
      queries: this.slots.query.total,
      mutations: this.slots.mutation.total,
      waitMs: this.waitMs,
      running: { queries: this.slots.query.running, mutations: this.slots.mutation.running },
    };
  }
}
