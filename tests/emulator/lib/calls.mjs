// Counts of function calls per deployment, so tests can assert what a page costs: `requests` is
// HTTP requests to the function endpoints that got past faults and auth (a query_batch is one),
// `functions` counts each function run by "<kind> <module path>:<name>" (a query_batch of three
// queries counts three); `dropped` counts connections a fault closed without an answer (drop,
// drop_after_commit). Read and reset through the control API (.../NAME/calls).

export class CallCounter {
  requests = 0;
  dropped = 0;
  functions = new Map(); // "query data/conversations:page" -> n

  request() {
    this.requests += 1;
  }

  drop() {
    this.dropped += 1;
  }

  call(kind, fnPath) {
    const key = `${kind} ${fnPath}`;
    this.functions.set(key, (this.functions.get(key) ?? 0) + 1);
  }

  snapshot() {
    const functions = Object.fromEntries([...this.functions].sort());
    const total = Object.values(functions).reduce((a, b) => a + b, 0);
    return { requests: this.requests, dropped: this.dropped, functions, total };
  }

  reset() {
    this.requests = 0;
    this.dropped = 0;
    this.functions.clear();
  }
}
