// Hand-written: data migrations the declarative operations cannot express.
//
// A version names one of these with `Custom("name", covers=[...], removes=[...])` in
// byod/package/migrations/v<N>.py; the build generates convex/migrationRegistry.ts, which
// imports each named function (so `tsc` checks that it exists and has this type).
//
// A function gets one document (with _id and _creationTime) and a read-only database, and
// returns the fields to change (a field set to `undefined` is removed) or null for none. It must
// be idempotent: called again on the document it returned, it returns null or the same fields.
// Throwing stops the migration at that document; the deploy fails naming it.
import type { GenericDatabaseReader, GenericDataModel } from "convex/server";
import type { GenericId, Value } from "convex/values";

export type MigrationDoc = { _id: GenericId<string>; _creationTime: number } & Record<
  string,
  Value | undefined
>;
export type MigrationPatch = Record<string, Value | undefined>;
export type CustomMigration = (
  doc: MigrationDoc,
  ctx: { db: GenericDatabaseReader<GenericDataModel> },
) => MigrationPatch | null | undefined | Promise<MigrationPatch | null | undefined>;

// No version of the package needs one yet.
