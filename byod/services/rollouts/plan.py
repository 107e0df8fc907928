"""A rollout's plan: who goes in which wave, under which rules, of which build.

`make_plan(options)` computes it from what the database holds now; its `digest` covers
everything a person reviewed (the version and package hash, every member with its wave and
the version it starts from, those skipped, the waves, the stop rule, the in-flight limit), so
that starting can refuse a plan that is no longer the one previewed (`control.start` with
`expect`). A `Confirmation` is what the preview hands the person to send back: the options
and the digest, signed, so the admin's start form cannot start anything else.

The defaults are safe: a canary (5% of the connections, at least one), a stop rule (the
canary pauses at its first failure, a wave at 10% failed), waves of 25, ten deploys at once.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.core import signing

from byod import builds, package
from byod.errors import ArtifactError
from byod.models import Connection, wave_name
from byod.schema.versioning import check

DEFAULT_CANARY_PERCENT = 5
DEFAULT_WAVE_SIZE = 25
DEFAULT_IN_FLIGHT = 10
DEFAULT_DRIVERS = 2
DEFAULT_STOP_PERCENT = 10
DEFAULT_STOP_CANARY = 1
SIGNING_SALT = "byod.rollout.plan"
# A confirmation older than this is refused: preview again.
CONFIRMATION_MAX_AGE = 60 * 60


@dataclass(frozen=True)
class PlanOptions:
    """How a rollout goes: canary (named users, plus a count or else a share of the others),
    waves, limits, the stop rule, when everyone is offered the version, a way back allowed."""

    version: int | None = None
    canary_users: tuple[int, ...] = ()  # user ids
    canary_count: int = 0  # when set, the share below is not used
    canary_percent: int = DEFAULT_CANARY_PERCENT
    wave_size: int = DEFAULT_WAVE_SIZE
    max_in_flight: int = DEFAULT_IN_FLIGHT
    drivers: int = DEFAULT_DRIVERS
    stop_failures: int | None = None
    stop_failure_percent: int | None = DEFAULT_STOP_PERCENT
    stop_canary_failures: int | None = DEFAULT_STOP_CANARY
    open_after_wave: int | None = None
    allow_downgrade: bool = False

    def problems(self) -> list[str]:
        found = []
        if self.wave_size < 1:
            found.append("the wave size must be at least 1")
        if self.max_in_flight < 1:
            found.append("the in-flight limit must be at least 1")
        if self.drivers < 1:
            found.append("at least one driver task is needed")
        if self.canary_count < 0:
            found.append("the canary count cannot be negative")
        if not 0 <= self.canary_percent <= 100:
            found.append("the canary share is a percentage, 0 to 100")
        if self.stop_failure_percent is not None and not 1 <= self.stop_failure_percent <= 100:
            found.append("the stop rule's failure rate is a percentage, 1 to 100")
        if self.stop_failures is not None and self.stop_failures < 1:
            found.append("the stop rule's failure count must be at least 1")
        if self.stop_canary_failures is not None and self.stop_canary_failures < 1:
            found.append("the canary's stop rule must be at least 1 failure")
        return found

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["canary_users"] = sorted(self.canary_users)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PlanOptions:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["canary_users"] = tuple(values.get("canary_users", ()))
        return cls(**values)

    def stop_rule_words(self) -> str:
        """The stop rule as an operator reads it."""
        wave = [
            f"{self.stop_failures} failure{'s' if self.stop_failures != 1 else ''}"
            if self.stop_failures is not None
            else "",
            f"{self.stop_failure_percent}% of it failed"
            if self.stop_failure_percent is not None
            else "",
        ]
        said = " or ".join(w for w in wave if w)
        waves = f"a wave pauses the rollout at {said}" if said else "a wave never pauses it"
        if self.stop_canary_failures is not None:
            n = self.stop_canary_failures
            canary = "its first failure" if n == 1 else f"{n} failures"
            return f"the canary pauses it at {canary}; {waves}"
        return waves

    def opening_words(self) -> str:
        """When every user is offered the version (self-service "Update now")."""
        if self.open_after_wave is None:
            return (
                "each user is offered the version when their wave is reached; everyone once "
                "the rollout completes"
            )
        after = wave_name(self.open_after_wave, in_a_sentence=True)
        return f"every user is offered the version once {after} has ended"


@dataclass
class Plan:
    """The plan computed now: what a preview shows and a start records."""

    options: PlanOptions
    version: int
    package_hash: str
    current_version: int
    planned: list[tuple[Connection, int]]  # (connection, wave) in the order they go
    skipped: list[Connection]
    problems: list[str] = field(default_factory=list)

    @property
    def downgrade(self) -> bool:
        """Going back: the version is older than the current one, or than a member's."""
        return self.version < self.current_version or any(
            c.deployed_version is not None and c.deployed_version > self.version
            for c, _ in self.planned
        )

    @property
    def waves(self) -> list[tuple[int, list[Connection]]]:
        found: dict[int, list[Connection]] = {}
        for connection, wave in self.planned:
            found.setdefault(wave, []).append(connection)
        return sorted(found.items())

    def parts(self) -> dict[str, Any]:
        """What a person reviewed, part by part (the digest is of these; a refusal names the
        parts that differ)."""
        members = [(c.pk, w, c.deployed_version, c.deployed_package_hash) for c, w in self.planned]
        return {
            "version": self.version,
            "package_hash": self.package_hash,
            "options": self.options.as_data(),
            "members": _digest(members),
            "member_count": len(self.planned),
            "skipped": _digest(sorted(c.pk for c in self.skipped)),
            "waves": [[w, len(cs)] for w, cs in self.waves],
        }

    @property
    def digest(self) -> str:
        return _digest(self.parts())

    def confirmation(self) -> str:
        """A signed token of this plan for the person to send back with "Start"."""
        return signing.dumps(
            {"options": self.options.as_data(), "parts": self.parts()}, salt=SIGNING_SALT
        )


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Confirmation:
    """What a person confirmed: the options and the parts of the plan they were shown."""

    options: PlanOptions
    parts: dict[str, Any]

    @property
    def digest(self) -> str:
        return _digest(self.parts)

    @classmethod
    def read(cls, token: str) -> Confirmation | None:
        """The confirmation in a signed token; None when it is forged, damaged or too old."""
        try:
            data = signing.loads(token, salt=SIGNING_SALT, max_age=CONFIRMATION_MAX_AGE)
        except signing.BadSignature:
            return None
        return cls(PlanOptions.from_data(data["options"]), data["parts"])

    @classmethod
    def of(cls, plan: Plan) -> Confirmation:
        return cls(plan.options, plan.parts())


def differences(shown: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """How the plan now differs from the one shown, in words."""
    found = []
    if shown.get("version") != now["version"]:
        found.append(f"the version is v{now['version']}, not v{shown.get('version')}")
    elif shown.get("package_hash") != now["package_hash"]:
        found.append(f"v{now['version']} was built again (package {now['package_hash'][:12]})")
    if shown.get("options") != now["options"]:
        found.append("the options changed")
    if shown.get("member_count") != now["member_count"]:
        found.append(
            f"{now['member_count']} connection(s) to deploy now, "
            f"not {shown.get('member_count')} (one was added or is gone)"
        )
    elif shown.get("members") != now["members"]:
        found.append("the connections to deploy, or the versions they run, changed")
    if shown.get("skipped") != now["skipped"]:
        found.append("the connections already on the version changed")
    if not found and shown.get("waves") != now["waves"]:
        found.append("the waves changed")
    return found


# --- computing the plan ------------------------------------------------------------------------


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
    return check(schema, version, package.version_notes(), migrations=declared)


def _candidates() -> list[Connection]:
    return list(Connection.objects.usable().select_related("user").order_by("pk"))


def _plan_waves(
    connections: list[Connection], options: PlanOptions, digest: str, version: int
) -> tuple[list[tuple[Connection, int]], list[Connection]]:
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
    if options.canary_count:
        extra = options.canary_count
    else:
        extra = math.ceil(len(rest) * options.canary_percent / 100)
    canary += rest[:extra]
    rest = rest[extra:]
    # Wave 0 is the canary and only the canary: waves are numbered from 1 with or without one.
    planned = [(c, 0) for c in canary]
    planned += [(c, 1 + i // options.wave_size) for i, c in enumerate(rest)]
    return planned, skipped


def make_plan(options: PlanOptions) -> Plan:
    """The plan `options` give now, with what stands in the way of starting it."""
    current = package.current_version()
    version = options.version if options.version is not None else current
    problems = options.problems()
    if problems:  # a plan from impossible options (a wave of 0...) means nothing
        return Plan(options, version, "", current, [], [], problems)
    problems = artifact_problems(version)
    digest = "" if problems else builds.package_hash(version)
    planned, skipped = _plan_waves(_candidates(), options, digest, version)
    made = Plan(options, version, digest, current, planned, skipped, problems)
    if not planned and not problems:
        problems.append(f"every connection already runs v{version}: nothing to roll out")
    if made.downgrade and not options.allow_downgrade:
        problems.append(
            f"v{version} is older than the version some connections run: going back needs "
            "an explicit allow-downgrade (and loses what the preview lists)"
        )
    return made
