// One import per bundle file per process. Node caches modules itself, but with loader hooks
// registered (convex_test_internals.mjs) every import() still makes a round trip to the hooks
// thread; a deployment's function calls would pay it on every call.
const loaded = new Map();

export function importOnce(url) {
  let module = loaded.get(url);
  if (!module) {
    module = import(url);
    loaded.set(url, module);
    // A failed import is not kept: the same file may be fixed and pushed again.
    module.catch(() => loaded.delete(url));
  }
  return module;
}
