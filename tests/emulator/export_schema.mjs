// Print a Convex project's schema export (`defineSchema(...).export()`) as JSON, independently of
// the emulator: bundle convex/schema.ts with esbuild and evaluate it.
//   node tests/emulator/export_schema.mjs <project dir>
import path from "node:path";
import * as esbuild from "esbuild";

const project = path.resolve(process.argv[2] ?? ".");
const result = await esbuild.build({
  entryPoints: [path.join(project, "convex", "schema.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "silent",
  absWorkingDir: project,
});
const source = result.outputFiles[0].text;
const mod = await import("data:text/javascript;base64," + Buffer.from(source).toString("base64"));
process.stdout.write(mod.default.export() + "\n");
