"""The package's data migrations, one module per version that changes existing documents.

Each module `v<N>.py` defines `DECLARATION`, a `VersionMigrations` for version N: the
migrations that bring version N-1's documents to version N (run in order, one pass over one
table each), the destructive changes it means (`acknowledge`) and what going back to N-1 loses
(`downgrade_acknowledge`). `manage.py byod_schema check` holds each version to its changes;
`manage.py byod_build` records them in the version's manifest, which is all the worker reads.
"""

from __future__ import annotations

from byod.package.migrations import v2
from byod.schema.migrations import VersionMigrations

# Every version from this one up can be upgraded to the current one in one deploy; the
# expanded schema of each version accepts the documents of all of them.
OLDEST_SUPPORTED = 1

DECLARATIONS: dict[int, VersionMigrations] = {d.version: d for d in (v2.DECLARATION,)}


def declared(version: int) -> VersionMigrations:
    """What `version` declares (nothing for a version that changes no data)."""
    return DECLARATIONS.get(version) or VersionMigrations(version)


def custom_functions(up_to: int) -> list[str]:
    """Hand-written migration functions named by versions up to `up_to` (a build of that
    version must contain all of them: one deploy may run several versions' migrations)."""
    return sorted({f for v, d in DECLARATIONS.items() if v <= up_to for f in d.custom_functions()})
