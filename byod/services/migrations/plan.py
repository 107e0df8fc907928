"""Which data migrations a deploy runs, from the committed manifests alone (no Node, no network).

The deployment's documents are of its *data version*: the version last pushed with its own
schema (else the verified one). While it holds the expanded schema of a version (a deploy ran
or is running that version's migrations), they may be of any version up to that one.

- Going up from D to N runs the migrations of D+1..N in order, after pushing N's expanded
  schema (it accepts every supported version's documents, so skipping versions works).
- Going down from D to N < D runs the way back of D, D-1, ..., N+1 (renames undone, fields
  N does not know removed: each manifest records it), after pushing D's expanded schema.
  A manifest that says going back is impossible refuses the deploy before anything changes.
- Nothing to run (a fresh deployment, the same version, versions that change no data): the
  target is pushed directly, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from byod import builds
from byod.errors import DOWNGRADE_REFUSED, ByodError
from byod.models import Connection, MigrationDirection
from byod.schema.diff import diff_exports
from byod.schema.versioning import locked_export


@dataclass(frozen=True)
class Step:
    """One migration to run: version `version` declares it (or its way back)."""

    version: int
    direction: str
    id: str
    name: str
    table: str
    ops: list[dict[str, Any]]

    @property
    def custom_functions(self) -> set[str]:
        return {op["function"] for op in self.ops if op.get("op") == "custom"}


@dataclass(frozen=True)
class Plan:
    """From data version `data_version` to `to_version`: push the expanded schema of
    `expanded_version`, run `steps`, push the target. No steps: push the target only."""

    data_version: int | None
    to_version: int
    expanded_version: int | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)
    # The saved progress of the other direction's migrations of the same versions: forgotten
    # before the steps run, so going back and forth again re-runs them from the start.
    reset_names: tuple[str, ...] = ()

    @property
    def migrates(self) -> bool:
        return bool(self.steps)

    def describe(self) -> str:
        start = f"v{self.data_version}" if self.data_version is not None else "nothing"
        if not self.steps:
            return f"{start} -> v{self.to_version}: no data migrations"
        names = ", ".join(s.name for s in self.steps)
        return (
            f"{start} -> v{self.to_version}: expanded schema of v{self.expanded_version}, "
            f"then {len(self.steps)} migration(s): {names}"
        )


def plan(data_version: int | None, migrating_version: int | None, to_version: int) -> Plan:
    """The plan from documents of `data_version` (or of any version up to `migrating_version`
    when the deployment holds that version's expanded schema) to `to_version`.

    Raises ByodError `downgrade_refused` when going back is impossible, and ArtifactError when
    a version on the way has no build.
    """
    if data_version is None and migrating_version is None:
        return Plan(None, to_version)
    top = max(v for v in (data_version, migrating_version) if v is not None)
    if to_version >= top:
        # On an expanded schema the documents may be of any version up to it (a migration, or
        # a way back, stopped midway): every version's migrations run again. Those the
        # deployment saved as done return at once; each step is idempotent anyway.
        start = data_version if migrating_version is None and data_version is not None else 0
        versions = range(max(start, _oldest()) + 1, to_version + 1)
        steps = [s for v in versions for s in _up(v)]
        reset = [s.name for v in versions for s in _down(v, strict=False)]
        expanded = to_version if steps else None
        return Plan(data_version, to_version, expanded, tuple(steps), tuple(reset))
    # Going back. On an expanded schema the documents may also be older than the target (an
    # upgrade past it stopped midway): bring those up to the target first, as going up would.
    ups = range(_oldest() + 1, to_version + 1) if migrating_version is not None else range(0)
    versions = range(top, to_version, -1)
    steps = [s for v in ups for s in _up(v)] + [s for v in versions for s in _down(v)]
    reset = [s.name for v in ups for s in _down(v, strict=False)]
    reset += [s.name for v in versions for s in _up(v)]
    return Plan(data_version, to_version, top if steps else None, tuple(steps), tuple(reset))


def recorded_plan(connection: Connection, to_version: int) -> Plan:
    """The plan as our records see it (no call to the deployment): what `byod_migrate` picks
    connections by. A deploy asks the deployment when our records know nothing."""
    recorded = connection.pushed_version
    if recorded is None:
        recorded = connection.deployed_version
    return plan(recorded, connection.migrating_version, to_version)


def _oldest() -> int:
    available = builds.available_versions()
    return available[0] if available else 1


def _up(version: int) -> list[Step]:
    return [
        Step(version, MigrationDirection.UP, m["id"], m["name"], m["table"], m["ops"])
        for m in builds.manifest(version).get("migrations", [])
    ]


def _down(version: int, *, strict: bool = True) -> list[Step]:
    back = builds.manifest(version).get("downgrade")
    if not strict and (back is None or back["refused"]):
        return []
    if back is None:
        raise ByodError(DOWNGRADE_REFUSED, f"v{version} has no recorded way back to v{version - 1}")
    if back["refused"]:
        raise ByodError(
            DOWNGRADE_REFUSED,
            f"going back from v{version} to v{version - 1} is impossible: "
            + "; ".join(back["refused"]),
        )
    return [
        Step(version, MigrationDirection.DOWN, m["id"], m["name"], m["table"], m["ops"])
        for m in back["migrations"]
    ]


def downgrade_losses(from_versions: set[int], to_version: int) -> list[str]:
    """What going back to `to_version` from each of `from_versions` loses, in words: the fields
    each newer version's way back drops (its `downgrade_acknowledge`, from the manifests),
    what makes a way back impossible, and the destructive changes of the schemas."""
    top = max(from_versions, default=to_version)
    lost: list[str] = []
    for v in range(top, to_version, -1):
        try:
            back = builds.manifest(v).get("downgrade") or {}
        except ByodError:
            continue
        lost += [
            f"{name} (added by v{v}): its values are removed" for name in back.get("loses", [])
        ]
        lost += [f"impossible from v{v}: {why}" for why in back.get("refused", [])]
    for start in sorted(v for v in from_versions if v > to_version):
        try:
            changes = diff_exports(locked_export(start), locked_export(to_version))
        except KeyError:
            continue
        lost += [f"from v{start}: {c}" for c in changes if c.classification == "destructive"]
    return lost
