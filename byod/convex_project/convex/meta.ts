// Hand-written: the package's own version record on the user's deployment.
// The control plane calls these with the deploy key (an admin key may call internal functions):
//   meta:get    -> { schemaVersion, packageHash, deployedAt } of the newest deploy, or null
//   meta:record -> stores one row per deploy in the byodMeta table
// Generic builders from convex/server, so no `convex/_generated` code is needed.
import { internalMutationGeneric, internalQueryGeneric } from "convex/server";
import { v } from "convex/values";

const metaValidator = v.object({
  schemaVersion: v.number(),
  packageHash: v.string(),
  deployedAt: v.number(),
});

export const get = internalQueryGeneric({
  args: {},
  returns: v.union(metaValidator, v.null()),
  handler: async (ctx) => {
    const latest = await ctx.db
      .query("byodMeta")
      .withIndex("by_deployed_at")
      .order("desc")
      .first();
    if (latest === null) {
      return null;
    }
    return {
      schemaVersion: latest.schemaVersion as number,
      packageHash: latest.packageHash as string,
      deployedAt: latest.deployedAt as number,
    };
  },
});

export const record = internalMutationGeneric({
  args: {
    schemaVersion: v.number(),
    packageHash: v.string(),
    deployedAt: v.number(),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("byodMeta", {
      schemaVersion: args.schemaVersion,
      packageHash: args.packageHash,
      deployedAt: args.deployedAt,
    });
    return null;
  },
});
