"""What an operator does with a rollout: preview, start, pause, resume, abort.

- `preview` says what starting would do: which connections, from which versions, the schema
  changes and data migrations each group goes through, and why it cannot start (an artifact
  missing or stale).
- `start` records the plan (a RolloutMember per connection, in waves) and hands the rollout
  to the task workers (`byod.services.rollouts.driver`).
- `pause`, `resume`, `abort`: status moves; abort also cancels what is queued (running deploys
  finish) and leaves the connections not reached on their version.

The admin and `manage.py byod_rollout` both call these; progress is in `rollout_progress`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from byod import builds, package, transitions
from byod.errors import ArtifactError, ByodError, NotAllowed
from byod.models import (
    Connection,
    DeploymentStatus,
    MemberState,
    Rollout,
    RolloutMember,
    RolloutStatus,
    wave_name,
)
from byod.schema.diff import diff_exports
from byod.schema.versioning import check, locked_export
from byod.services.migrations import plan as migration_plan
from byod.services.rollouts import driver as rollout_driver

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class PlanOptions:
    """How a rollout goes: canary (named users, plus a count or a share), waves, limits."""

    version: int | None = None
    canary_users: tuple[int, ...] = ()  # user ids
    canary_count: int = 0
    canary_percent: int = 0
    wave_size: int = 100
    max_in_flight: int = 10
    drivers: int = 2
    stop_failures: int | None = None
    stop_failure_percent: int | None = None

    def problems(self) -> list[str]:
        found = []
        if self.wave_size < 1:
            found.append("the wave size must be at least 1")
        if self.max_in_flight < 1:
            found.append("the in-flight limit must be at least 1")
        if self.drivers < 1:
            found.append("at least one driver task is needed")
        if not 0 <= self.canary_percent <= 100:
            found.append("the canary share is a percentage, 0 to 100")
        if self.stop_failure_percent is not None and not 1 <= self.stop_failure_percent <= 100:
            found.append("the stop rule's failure rate is a percentage, 1 to 100")
        if self.stop_failures is not None and self.stop_failures < 1:
            found.append("the stop rule's failure count must be at least 1")
        return found


@dataclass
class FromVersion:
    """Connections moving from one version: the schema changes and migrations they get."""

    from_version: int | None
    connections: int
    changes: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)


@dataclass
class Preview:
    version: int
    package_hash: str
    changelog: str
    targets: int
    skipped: int
    waves: list[tuple[str, int]]  # (name, connections) per wave, in order: "canary", "wave 1", ...
    groups: list[FromVersion]
    problems: list[str]

    @property
    def can_start(self) -> bool:
        return not self.problems and self.targets > 0


def artifact_problems(version: int) -> list[str]:
    """Why `version` cannot be deployed: its artifact missing, damaged, or behind the package."""
    try:
        builds.load_artifact(version)
        if builds.manifest(version).get("expanded"):
            builds.load_artifact(version, expanded=True)
    except ArtifactError as error:
        return [f"v{version}: {error.detail}"]
    if version != package.current_version():
        return []
    schema = package.get_schema()
    history = package.history_of(schema, version)
    declared = history.declared(version).json()
    return check(schema, version, package.changelog(), migrations=declared)


def _candidates() -> list[Connection]:
    return list(Connection.objects.usable().select_related("user").order_by("pk"))


Planned = list[tuple[Connection, int]]  # (connection, wave), in the order they are deployed


def _plan_waves(
    connections: list[Connection], options: PlanOptions, digest: str, version: int
) -> tuple[Planned, list[Connection]]:
    """(connection, wave) for each connection to deploy, in order; and those skipped."""
    skipped = [
        c
        for c in connections
        if c.deployed_version == version and c.deployed_package_hash == digest
    ]
    todo = [c for c in connections if c not in skipped]
    named = set(options.canary_users)
    canary = [c for c in todo if c.user_id in named]
    rest = [c for c in todo if c.user_id not in named]
    extra = options.canary_count or math.ceil(len(rest) * options.canary_percent / 100)
    canary += rest[:extra]
    rest = rest[extra:]
    # Wave 0 is the canary and only the canary: waves are numbered from 1 with or without one.
    planned = [(c, 0) for c in canary]
    planned += [(c, 1 + i // options.wave_size) for i, c in enumerate(rest)]
    return planned, skipped


def _plan(options: PlanOptions) -> tuple[int, str, Planned, list[Connection], list[str]]:
    """The version, its package hash, the planned (connection, wave) pairs, those skipped, and
    what stands in the way: what both the preview and the start need."""
    version = options.version if options.version is not None else package.current_version()
    problems = options.problems()
    if problems:  # a plan from impossible options (a wave of 0...) means nothing
        return version, "", [], [], problems
    problems = artifact_problems(version)
    digest = "" if problems else builds.package_hash(version)
    planned, skipped = _plan_waves(_candidates(), options, digest, version)
    if not planned and not problems:
        problems.append(f"every connection already runs v{version}: nothing to roll out")
    return version, digest, planned, skipped, problems


def preview(options: PlanOptions) -> Preview:
    """What starting a rollout with `options` would do, and what stands in the way."""
    version, digest, planned, skipped, problems = _plan(options)
    per_wave = Counter(wave for _, wave in planned)
    groups = _groups([c for c, _ in planned], version)
    return Preview(
        version=version,
        package_hash=digest,
        changelog=package.changelog().get(version, ""),
        targets=len(planned),
        skipped=len(skipped),
        waves=[(wave_name(w), per_wave[w]) for w in sorted(per_wave)],
        groups=groups,
        problems=problems,
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


def start(options: PlanOptions, *, actor: User | None = None) -> Rollout:
    """Record the rollout's plan and hand it to the task workers. NotAllowed when it cannot
    start (the preview's problems)."""
    with transaction.atomic():
        version, digest, planned, skipped, problems = _plan(options)
        if problems:
            raise NotAllowed(
                "rollout refused: " + "; ".join(problems),
                user_message="This rollout cannot start: " + "; ".join(problems),
            )
        rollout = Rollout.objects.create(
            version=version,
            package_hash=digest,
            canary_count=options.canary_count,
            canary_percent=options.canary_percent,
            wave_size=options.wave_size,
            max_in_flight=options.max_in_flight,
            drivers=options.drivers,
            stop_failures=options.stop_failures,
            stop_failure_percent=options.stop_failure_percent,
            waves=len({wave for _, wave in planned}),
            created_by=actor,
        )
        members = [
            RolloutMember(rollout=rollout, connection=c, wave=wave, position=i)
            for i, (c, wave) in enumerate(planned)
        ]
        members += [
            RolloutMember(
                rollout=rollout,
                connection=c,
                wave=0,
                position=len(planned) + i,
                state=MemberState.SKIPPED,
            )
            for i, c in enumerate(skipped)
        ]
        RolloutMember.objects.bulk_create(members, batch_size=500)
        transitions.rollout_started(rollout, actor=actor)
        rollout_driver.launch(rollout)
    return rollout


def pause(rollout: Rollout, *, actor: User | None = None, reason: str = "") -> None:
    """No new deploy starts; those running finish (and their retries wait for a resume)."""
    transitions.rollout_paused(rollout, reason=reason or "paused by an operator", actor=actor)


def resume(rollout: Rollout, *, actor: User | None = None) -> None:
    """Go on from where it stopped. The failures of the current wave so far are accepted: the
    stop rule counts those after the resume."""
    with transaction.atomic():
        failed = rollout.deployments.filter(
            wave=rollout.current_wave, status=DeploymentStatus.FAILED
        ).count()
        Rollout.objects.filter(pk=rollout.pk).update(
            accepted_wave=rollout.current_wave, accepted_failures=failed
        )
        transitions.rollout_resumed(rollout, actor=actor)
        rollout_driver.launch(rollout)


def abort(rollout: Rollout, *, actor: User | None = None, reason: str = "") -> int:
    """Stop for good: connections not reached stay on their version, queued deploys (retries
    waiting) are cancelled, running ones finish. Returns how many deploys were cancelled."""
    with transaction.atomic():
        transitions.rollout_aborted(rollout, reason=reason, actor=actor)
        rollout.members.filter(state=MemberState.PENDING).update(state=MemberState.CANCELLED)
        cancelled = 0
        queued = rollout.deployments.filter(status=DeploymentStatus.QUEUED)
        for deployment in queued.select_related("connection"):
            try:
                transitions.mark_deploy_cancelled(
                    deployment, actor=actor, reason=f"Rollout #{rollout.pk} was aborted."
                )
            except transitions.TransitionError:
                continue  # it started meanwhile: it finishes
            cancelled += 1
    return cancelled


def by_id(rollout_id: int) -> Rollout:
    """The rollout, or NotAllowed with a plain message."""
    found = Rollout.objects.filter(pk=rollout_id).first()
    if found is None:
        raise NotAllowed(f"no rollout #{rollout_id}", user_message=f"No rollout #{rollout_id}.")
    return found


def latest_unfinished() -> Rollout | None:
    return Rollout.objects.unfinished().order_by("-pk").first()


def aborted_note(connection: Connection) -> str:
    """A plain note for a user whom an aborted rollout did not update ("" if none applies)."""
    member = (
        RolloutMember.objects.filter(connection=connection)
        .select_related("rollout")
        .order_by("-rollout_id")
        .first()
    )
    if member is None or member.rollout.status != RolloutStatus.ABORTED:
        return ""
    target = member.rollout.version
    if connection.deployed_version is not None and connection.deployed_version >= target:
        return ""
    if member.state not in (MemberState.PENDING, MemberState.CANCELLED):
        return ""  # its deploy ran: the deploy's own outcome says what happened
    stays = (
        f"You stay on version {connection.deployed_version}, which keeps working"
        if connection.deployed_version is not None
        else "Nothing was changed in your database"
    )
    return f"The update to version {target} was stopped before it reached your database. {stays}."
