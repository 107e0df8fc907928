"""What an operator does with a rollout: preview, start, pause, resume, abort, open.

- `preview` (`preview.py`) says what starting would do; `plan.py` computes the plan.
- `start` records the plan (a RolloutMember per connection, in waves) and hands the rollout
  to the task workers (`byod.services.rollouts.driver`). Given the plan a person saw
  (`expect`), it refuses to start one that differs now (a changed option, a connection added
  or gone, a new build).
- `pause`, `resume`, `abort`: status moves; abort also cancels what is queued (running deploys
  finish) and leaves the connections not reached on their version, without the offer.
- `open_to_everyone`: offer the version to every user now (self-service updates).

The admin and `manage.py byod_rollout` both call these; progress is in `progress.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from byod import transitions
from byod.errors import NotAllowed
from byod.models import (
    Connection,
    DeploymentStatus,
    MemberState,
    Rollout,
    RolloutMember,
    RolloutStatus,
)
from byod.services.rollouts import driver as rollout_driver
from byod.services.rollouts.plan import PlanOptions, differences, make_plan
from byod.services.rollouts.preview import Preview, preview

__all__ = [
    "AbortResult",
    "NotAllowed",
    "PlanOptions",
    "Preview",
    "abort",
    "aborted_note",
    "by_id",
    "latest_unfinished",
    "open_to_everyone",
    "pause",
    "preview",
    "resume",
    "start",
]

if TYPE_CHECKING:
    from accounts.models import User


def start(
    options: PlanOptions,
    *,
    actor: User | None = None,
    who: str = "",
    expect: dict[str, Any] | None = None,
    downgrade_confirmed: bool = False,
) -> Rollout:
    """Record the rollout's plan and hand it to the task workers. NotAllowed when it cannot
    start (the preview's problems), when `expect` (the parts of the plan a person saw,
    `Plan.parts`) differs from the plan now (the person is shown the new plan instead), or
    when it goes back to an older version and the person did not confirm what that loses.
    `who` names an actor without a user row (the OS user of a command)."""
    with transaction.atomic():
        made = make_plan(options)
        if made.problems:
            raise NotAllowed(
                "rollout refused: " + "; ".join(made.problems),
                user_message="This rollout cannot start: " + "; ".join(made.problems),
            )
        if expect is not None and (changed := differences(expect, made.parts())):
            raise NotAllowed(
                "rollout refused: the plan changed since its preview: " + "; ".join(changed),
                user_message="Not started: the plan is no longer the one you previewed ("
                + "; ".join(changed)
                + "). Here is the plan as it is now.",
            )
        if made.downgrade and not downgrade_confirmed:
            raise NotAllowed(
                "rollout refused: a way back that nobody confirmed",
                user_message=f"Not started: going back to v{made.version} loses data; confirm "
                "what it loses (listed in the preview) to start it.",
            )
        rollout = Rollout.objects.create(
            version=made.version,
            package_hash=made.package_hash,
            canary_count=options.canary_count,
            canary_percent=0 if options.canary_count else options.canary_percent,
            wave_size=options.wave_size,
            max_in_flight=options.max_in_flight,
            drivers=options.drivers,
            stop_failures=options.stop_failures,
            stop_failure_percent=options.stop_failure_percent,
            stop_canary_failures=options.stop_canary_failures,
            open_after_wave=options.open_after_wave,
            downgrade=made.downgrade,
            plan_digest=made.digest,
            waves=len({wave for _, wave in made.planned}),
            created_by=actor,
            started_by=actor.get_username() if actor is not None else who,
        )
        members = [
            RolloutMember(rollout=rollout, connection=c, wave=wave, position=i)
            for i, (c, wave) in enumerate(made.planned)
        ]
        members += [
            RolloutMember(
                rollout=rollout,
                connection=c,
                wave=0,
                position=len(made.planned) + i,
                state=MemberState.SKIPPED,
            )
            for i, c in enumerate(made.skipped)
        ]
        RolloutMember.objects.bulk_create(members, batch_size=500)
        transitions.rollout_started(rollout, actor=actor, who=who)
        rollout_driver.launch(rollout)
    return rollout


def pause(rollout: Rollout, *, actor: User | None = None, who: str = "", reason: str = "") -> None:
    """No new deploy starts; those running finish (and their retries wait for a resume). The
    offer stays where it is: no wave is reached while paused."""
    transitions.rollout_paused(
        rollout, reason=reason or "paused by an operator", actor=actor, who=who
    )


def resume(rollout: Rollout, *, actor: User | None = None, who: str = "") -> None:
    """Go on from where it stopped. The failures of the current wave so far are accepted: the
    stop rule counts those after the resume."""
    with transaction.atomic():
        failed = rollout.deployments.filter(
            wave=rollout.current_wave, status=DeploymentStatus.FAILED
        ).count()
        Rollout.objects.filter(pk=rollout.pk).update(
            accepted_wave=rollout.current_wave, accepted_failures=failed
        )
        transitions.rollout_resumed(rollout, actor=actor, who=who)
        rollout_driver.launch(rollout)


@dataclass(frozen=True)
class AbortResult:
    """What an abort did: connections not reached (they stay on their version), retries
    that were waiting and are cancelled, deploys still running (they finish)."""

    not_reached: int
    deploys_cancelled: int
    running: int

    @property
    def cancelled(self) -> int:
        """Everything cancelled, as the rollout's page counts it."""
        return self.not_reached + self.deploys_cancelled

    def words(self, rollout: Rollout) -> str:
        return (
            f"Rollout #{rollout.pk} aborted: {self.cancelled} cancelled "
            f"({self.not_reached} connection(s) not reached stay on their version and are no "
            f"longer offered v{rollout.version}; {self.deploys_cancelled} waiting retry(ies) "
            f"cancelled); {self.running} running deploy(s) finish."
        )


def abort(
    rollout: Rollout, *, actor: User | None = None, who: str = "", reason: str = ""
) -> AbortResult:
    """Stop for good: connections not reached stay on their version (the offer is withdrawn
    from them), queued deploys (retries waiting) are cancelled, running ones finish."""
    with transaction.atomic():
        transitions.rollout_aborted(rollout, reason=reason, actor=actor, who=who)
        not_reached = rollout.members.filter(state=MemberState.PENDING).update(
            state=MemberState.CANCELLED
        )
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
        running = rollout.deployments.filter(status=DeploymentStatus.RUNNING).count()
    return AbortResult(not_reached, cancelled, running)


def open_to_everyone(rollout: Rollout, *, actor: User | None = None, who: str = "") -> None:
    """Offer the rollout's version to every user now (their own "Update now"), before their
    waves are reached. NotAllowed for an aborted rollout or one already open."""
    if rollout.status == RolloutStatus.ABORTED:
        raise NotAllowed(
            f"rollout #{rollout.pk} is aborted",
            user_message=f"Rollout #{rollout.pk} was aborted: its version is offered to nobody.",
        )
    if not transitions.rollout_opened(rollout, actor=actor, who=who):
        raise NotAllowed(
            f"rollout #{rollout.pk} is already open",
            user_message=f"v{rollout.version} is already offered to every user.",
        )


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
