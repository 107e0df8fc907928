"""What starting a rollout would do, as the admin's preview and `byod_rollout start` show it.

From the plan computed now (`plan.make_plan`): the version and its notes, the canary and wave
members (names, cut to a few with a count), the schema changes and data migrations of each
starting version, the documents and the time (`sizing`), the connections unhealthy right now
(they will likely fail), the stop rule, when everyone is offered the version, what a way back
loses, what stands in the way, and the signed confirmation that "Start" sends back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from byod import package
from byod.errors import ByodError
from byod.models import Connection, Health, wave_name
from byod.schema.diff import diff_exports
from byod.schema.versioning import locked_export
from byod.services.migrations import plan as migration_plan
from byod.services.rollouts import sizing
from byod.services.rollouts.plan import Plan, PlanOptions, make_plan

NAMES_SHOWN = 8


def names(connections: list[Connection], limit: int = NAMES_SHOWN) -> str:
    """ "alice, bob, carol and 12 more": the first few users, and how many others."""
    shown = [c.user.get_username() for c in connections[:limit]]
    more = len(connections) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


@dataclass
class FromVersion:
    """Connections moving from one version: the schema changes and migrations they get."""

    from_version: int | None
    connections: int
    changes: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)


@dataclass
class WavePlan:
    number: int
    connections: int
    members: str  # names, cut

    @property
    def name(self) -> str:
        return wave_name(self.number)


@dataclass
class Preview:
    version: int
    package_hash: str
    notes: str  # the operators' notes of the version
    targets: int
    skipped: int
    waves: list[tuple[str, int]]  # (name, connections) per wave, in order: "canary", "wave 1"...
    groups: list[FromVersion]
    problems: list[str]
    wave_plans: list[WavePlan] = field(default_factory=list)
    sizing: sizing.Sizing | None = None
    unhealthy: list[str] = field(default_factory=list)  # "name (reason)"
    stop_rule: str = ""
    opening: str = ""
    downgrade: bool = False
    losses: list[str] = field(default_factory=list)  # what going back loses
    digest: str = ""
    confirmation: str = ""  # signed; "Start" sends it back
    options: PlanOptions = field(default_factory=PlanOptions)
    user_notes: str = ""  # what users read about the version

    @property
    def can_start(self) -> bool:
        return not self.problems and self.targets > 0

    @property
    def unhealthy_shown(self) -> str:
        shown = self.unhealthy[:NAMES_SHOWN]
        more = len(self.unhealthy) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more else "")

    @property
    def estimate(self) -> str:
        return sizing.duration_words(self.sizing.seconds) if self.sizing is not None else ""


def preview(options: PlanOptions) -> Preview:
    """What starting a rollout with `options` would do, and what stands in the way."""
    return describe(make_plan(options))


def describe(made: Plan) -> Preview:
    version = made.version
    per_wave = Counter(wave for _, wave in made.planned)
    members = [c for c, _ in made.planned]
    groups = _groups(members, version)
    return Preview(
        version=version,
        package_hash=made.package_hash,
        notes=package.changelog().get(version, ""),
        user_notes=package.user_notes().get(version, ""),
        targets=len(made.planned),
        skipped=len(made.skipped),
        waves=[(wave_name(w), per_wave[w]) for w in sorted(per_wave)],
        groups=groups,
        problems=made.problems,
        wave_plans=[WavePlan(w, len(cs), names(cs)) for w, cs in made.waves],
        sizing=sizing.size(made.waves, version, made.options.max_in_flight)
        if made.planned
        else None,
        unhealthy=[
            f"{c.user.get_username()} ({c.health_reason or c.health})"
            for c in members
            if c.health in (Health.UNHEALTHY, Health.DEGRADED)
        ],
        stop_rule=made.options.stop_rule_words(),
        opening=made.options.opening_words(),
        downgrade=made.downgrade,
        losses=migration_plan.downgrade_losses(
            {c.deployed_version for c in members if c.deployed_version is not None}, version
        )
        if made.downgrade
        else [],
        digest=made.digest,
        confirmation=made.confirmation() if not made.problems else "",
        options=made.options,
    )


def _groups(connections: list[Connection], version: int) -> list[FromVersion]:
    counts = Counter(c.deployed_version for c in connections)
    groups = []
    for start, n in sorted(counts.items(), key=lambda kv: kv[0] or 0):
        group = FromVersion(start, n)
        try:
            old = locked_export(start or 0)
            new = locked_export(version)
            group.changes = [str(change) for change in diff_exports(old, new)]
        except KeyError as error:
            group.changes = [f"(no recorded schema: {error.args[0]})"]
        try:
            steps = migration_plan.plan(start, None, version).steps
            group.migrations = [f"{s.name} ({s.table})" for s in steps]
        except ByodError as error:
            group.migrations = [f"cannot: {error.detail}"]
        groups.append(group)
    return groups
