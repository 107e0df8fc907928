// Runs TypeScript schema sources through the real `convex` package and prints their exports.
// stdin: {"name": "<contents of a schema.ts>", ...}; stdout: {"name": <defineSchema().export()>}.
// One Node process for many schemas keeps the tests fast.
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const projectDir = process.argv[2];
const require = createRequire(join(projectDir, "package.json"));
const esbuild = require("esbuild");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const sources = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const dir = mkdtempSync(join(tmpdir(), "convex-export-"));
const results = {};
try {
  for (const [name, source] of Object.entries(sources)) {
    const outfile = join(dir, `${Object.keys(results).length}.mjs`);
    await esbuild.build({
      stdin: { contents: source, loader: "ts", resolveDir: projectDir },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "silent",
    });
    const mod = await import(pathToFileURL(outfile).href);
    results[name] = JSON.parse(mod.default.export());
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(results));
