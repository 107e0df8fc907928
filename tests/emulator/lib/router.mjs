// A table-driven router shared by the deployment and control APIs. A route is a set of methods
// (or "*"), a pattern over path segments and a handler; the first route whose pattern and method
// match wins. Pattern segments: a literal, ":name" (one segment, into params), and as the last
// segment "*" (zero or more further segments) or "+" (one or more), both into params.rest.
//
// Matching works on segments the caller has already split (and, for the control API, decoded), so
// each API keeps its own notion of a path: raw for Convex's endpoints, decoded parts for ours.

export function route(methods, pattern, handler, options = {}) {
  return {
    methods: methods === "*" ? null : new Set(methods),
    parts: pattern === "" ? [] : pattern.split("/"),
    pattern,
    handler,
    ...options,
  };
}

function matchPattern(parts, segments) {
  const params = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === "*" || part === "+") {
      const rest = segments.slice(i);
      if (part === "+" && rest.length === 0) return null;
      params.rest = rest;
      return params;
    }
    if (i >= segments.length) return null;
    if (part.startsWith(":")) params[part.slice(1)] = segments[i];
    else if (part !== segments[i]) return null;
  }
  return segments.length === parts.length ? params : null;
}

// {route, params} for a match; {route: null, allowed} when only the method is wrong; else null.
export function matchRoute(routes, method, segments) {
  const allowed = [];
  for (const r of routes) {
    const params = matchPattern(r.parts, segments);
    if (params === null) continue;
    if (r.methods === null || r.methods.has(method)) return { route: r, params };
    allowed.push(...r.methods);
  }
  return allowed.length > 0 ? { route: null, allowed } : null;
}
