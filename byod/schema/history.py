"""A package's versions side by side: their exports and declarations, what each ships, the guards.

`History` holds every version's schema export (old ones from the lock file, the current one
from the Python definition) and each version's `VersionRewrites`. From them it derives what
a build of version N needs besides its schema (`release`: the expanded schema accepting every
version from the oldest supported up to N, the migrations, the way back to N-1) and what the
version check reports (`problems`: uncovered changes, unacknowledged destructive changes and
downgrades that lose data without saying so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from byod.schema.build import Release
from byod.schema.expand import expand_exports
from byod.schema.guards import downgrade, downgrade_problems, forward_problems
from byod.schema.parsing import schema_from_export
from byod.schema.rewrites import VersionRewrites
from byod.schema.tables import Schema


@dataclass
class History:
    """Versions `oldest`..`current` of a package: `exports[v]` and `declarations[v]`."""

    exports: dict[int, dict[str, Any]]
    declarations: dict[int, VersionRewrites] = field(default_factory=dict)
    oldest: int = 1

    @property
    def current(self) -> int:
        return max(self.exports)

    def declared(self, version: int) -> VersionRewrites:
        return self.declarations.get(version) or VersionRewrites(version)

    def custom_functions(self, up_to: int) -> tuple[str, ...]:
        """Hand-written migration functions versions up to `up_to` name: its build needs them
        all, since one deploy may run the migrations of several versions."""
        names = {
            name
            for version, declared in self.declarations.items()
            if version <= up_to
            for name in declared.custom_functions()
        }
        return tuple(sorted(names))

    def expanded(self, version: int) -> Schema:
        """The schema accepting the documents of every version from `oldest` up to `version`,
        with `version`'s indexes."""
        chain = [self.exports[v] for v in range(self.oldest, version + 1) if v in self.exports]
        return schema_from_export(expand_exports(chain))

    def release(self, version: int, sources: dict[str, str] | None = None) -> Release:
        """What a build of `version` ships besides its schema. The oldest supported version
        has nothing to migrate from, so it gets no expanded artifact."""
        custom = self.custom_functions(version)
        if version <= self.oldest:
            return Release(custom_functions=custom, sources=sources)
        declared = self.declared(version)
        back = downgrade(self.exports[version], self.exports[version - 1], declared)
        return Release(
            expanded=self.expanded(version),
            oldest=self.oldest,
            migrations=declared.json(),
            downgrade=back.json(),
            custom_functions=custom,
            sources=sources,
        )

    def problems(self) -> list[str]:
        """Every version's guards: its changes covered, its destructive changes and the data
        going back loses acknowledged, and no declaration for a version that does not exist."""
        problems: list[str] = []
        for version in sorted(self.exports):
            if version <= self.oldest or version - 1 not in self.exports:
                continue
            old, new = self.exports[version - 1], self.exports[version]
            declared = self.declared(version)
            problems += forward_problems(old, new, declared)
            problems += downgrade_problems(new, old, declared)
        for version in self.declarations:
            if version not in self.exports or version <= self.oldest:
                problems.append(
                    f"migrations are declared for v{version}, which is not a version after "
                    f"v{self.oldest} of this package."
                )
        return problems
