// The two kinds of error the backend's schema parsing raises, and the two ways it rewrites them,
// for lib/schema_rules.mjs and the modules it uses (schema_names, schema_validators).

// With a code, the backend's ErrorMetadata (a bad request with its short code). Without one, a
// plain anyhow error: evaluate_schema answers it as InvalidSchema with its text.
export class SchemaError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
export const refuse = (code, message) => new SchemaError(code, message);
export const fail = (message) => new SchemaError(null, message);

// wrap_error_message: whatever fails inside keeps its code, its message rewritten.
export function wrapping(rewrite, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof SchemaError) e.message = rewrite(e.message);
    throw e;
  }
}

// with_context(ErrorMetadata): whatever fails inside is answered with `error()`.
export function orElse(error, f) {
  try {
    return f();
  } catch (e) {
    throw e instanceof SchemaError ? error() : e;
  }
}

// Rust's BTreeMap and BTreeSet order strings by their UTF-8 bytes.
export function byBytes(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
export const sortedValues = (map) => [...map.keys()].sort(byBytes).map((k) => map.get(k));
