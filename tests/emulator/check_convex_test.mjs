// Does the installed convex-test still have the internals the emulator relies on
// (lib/convex_test_internals.mjs, README.md "convex-test internals")? server.mjs runs the same
// check at startup; this runs it alone, for tests and for trying a convex-test upgrade:
//   node tests/emulator/check_convex_test.mjs
// prints {"version", "checkedVersion", "internals", "problems"} and exits 0 when there are no
// problems, else also names each change on stderr and exits 1.
import { checkConvexTest, describeProblems } from "./lib/convex_test_check.mjs";

const result = await checkConvexTest();
process.stdout.write(JSON.stringify(result) + "\n");
if (result.problems.length > 0) {
  process.stderr.write(describeProblems(result.problems));
  process.exit(1);
}
