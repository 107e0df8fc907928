"""Roll a package version out to every connection, on the task workers.

    manage.py byod_rollout start [--version N] [--canary-user U ...] [--canary-count C |
                                 --canary-percent P | --no-canary] [--wave-size W]
                                 [--in-flight K] [--drivers D] [--stop-canary F]
                                 [--stop-failures F] [--stop-rate R | --no-stop-rule]
                                 [--open-after WAVE] [--allow-downgrade] [--count-wait S]
                                 [--actor U] [--yes] [--follow]
    manage.py byod_rollout status [ID] [--follow]
    manage.py byod_rollout pause|resume|abort|open [ID] [--reason TEXT] [--actor U] [--follow]

`start` shows the plan (members, waves, sizes, time, the stop rule, who is offered the version
when) and asks before it starts the plan it printed (unless --yes: then the plan computed now
starts). The deploys run on `manage.py db_worker` processes; `--follow` shows progress until
the rollout completes, pauses or is aborted. ID defaults to the latest unfinished one.
"""

from __future__ import annotations

import getpass
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from byod.errors import ByodError
from byod.management.reporting import ProgressBar, ask, find_users, table
from byod.models import Connection, Rollout, RolloutStatus
from byod.services.rollouts import control as rollouts
from byod.services.rollouts import plan as plans
from byod.services.rollouts import sizing
from byod.services.rollouts.preview import describe
from byod.services.rollouts.progress import Progress, one_line, progress

FOLLOW_SECONDS = 0.5
COUNT_POLL_SECONDS = 0.5
# How `--follow` ends: completed without failures 0; completed with failures 1; paused 2;
# aborted 3 (a line says which, never a traceback-like "CommandError").
EXIT_FAILURES, EXIT_PAUSED, EXIT_ABORTED = 1, 2, 3
D = plans.PlanOptions()  # the safe defaults

EPILOG = (
    f"Defaults are safe: a canary of {D.canary_percent}% of the connections (at least one), "
    f"paused at its first failure; waves of {D.wave_size}, a wave pausing the rollout at "
    f"{D.stop_failure_percent}% failed; {D.max_in_flight} deploys at once. Users are offered the "
    "version as the rollout reaches them (--open-after 0: everyone after the canary). "
    "--follow exits 0 when the rollout completed, 1 with failures, 2 paused, 3 aborted."
)


class Command(BaseCommand):
    help = "Start, watch, pause, resume, abort or open a rollout of a package version."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version is the package version here; it replaces Django's --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.epilog = EPILOG
        sub = parser.add_subparsers(dest="action", required=True)
        begin = sub.add_parser("start", help="plan a rollout, confirm, start it", epilog=EPILOG)
        begin.add_argument("--version", type=int, help="package version (default: current)")
        begin.add_argument(
            "--canary-user", action="append", default=[], metavar="U", help="deployed first"
        )
        canary = begin.add_mutually_exclusive_group()
        canary.add_argument(
            "--canary-count", type=int, default=0, metavar="C", help="…plus this many"
        )
        canary.add_argument(
            "--canary-percent",
            type=int,
            default=D.canary_percent,
            metavar="P",
            help="…or this share of the others, at least one (default: %(default)s%%)",
        )
        canary.add_argument("--no-canary", action="store_true", help="no canary wave")
        begin.add_argument(
            "--wave-size", type=int, default=D.wave_size, metavar="W", help="(default: %(default)s)"
        )
        begin.add_argument(
            "--in-flight",
            type=int,
            default=D.max_in_flight,
            metavar="K",
            help="deploys at once (default: %(default)s)",
        )
        begin.add_argument(
            "--drivers",
            "--workers",  # its name before it was called what it is
            dest="workers",
            type=int,
            default=D.drivers,
            metavar="D",
            help="driver tasks: each runs on one task worker at a time, giving way to people's "
            "own tasks, and runs its share of the deploys in flight (default: %(default)s)",
        )
        begin.add_argument(
            "--stop-canary",
            type=int,
            default=D.stop_canary_failures,
            metavar="F",
            help="pause when the canary has F failures (default: %(default)s)",
        )
        begin.add_argument(
            "--stop-failures", type=int, metavar="F", help="pause when a wave has F failures"
        )
        stop = begin.add_mutually_exclusive_group()
        stop.add_argument(
            "--stop-rate",
            type=int,
            default=D.stop_failure_percent,
            metavar="R",
            help="pause when R%% of a wave failed (default: %(default)s)",
        )
        stop.add_argument(
            "--no-stop-rule", action="store_true", help="never pause on failures (not advised)"
        )
        begin.add_argument(
            "--open-after",
            type=int,
            metavar="WAVE",
            help="offer the version to every user once this wave ended (0: the canary); "
            "default: each user when their wave is reached, everyone at the end",
        )
        begin.add_argument(
            "--allow-downgrade",
            action="store_true",
            help="needed for a version older than the current one; asks again, naming what "
            "going back loses",
        )
        begin.add_argument(
            "--count-wait",
            type=float,
            default=10.0,
            metavar="S",
            help="counts missing or old are queued on the workers; wait this long for them "
            "(default: %(default)s)",
        )
        begin.add_argument("--yes", action="store_true", help="do not ask: start the plan now")
        begin.add_argument("--follow", action="store_true")
        begin.add_argument("--actor", metavar="U", help="who starts it (default: the OS user)")
        for name in ("status", "pause", "resume", "abort", "open"):
            action = sub.add_parser(name, epilog=EPILOG)
            action.add_argument("id", nargs="?", type=int, help="default: the latest unfinished")
            action.add_argument("--follow", action="store_true")
            action.add_argument("--actor", metavar="U", help="who acts (default: the OS user)")
            if name in ("pause", "abort"):
                action.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        self.actor, self.who = _actor(options.get("actor"))
        try:
            if options["action"] == "start":
                rollout = self._start(options)
                if rollout is None:
                    return
            else:
                rollout = self._find(options["id"], options["action"])
                self._act(rollout, options)
        except ByodError as error:
            raise CommandError(error.user_message) from error
        if options["follow"]:
            self._follow(rollout)
        else:
            self._report(progress(rollout))

    def _start(self, options: dict[str, Any]) -> Rollout | None:
        users = find_users(options["canary_user"]) if options["canary_user"] else []
        no_stop = options["no_stop_rule"]
        plan = plans.PlanOptions(
            version=options["version"],
            canary_users=tuple(u.pk for u in users),
            canary_count=options["canary_count"],
            canary_percent=0 if options["no_canary"] else options["canary_percent"],
            wave_size=options["wave_size"],
            max_in_flight=options["in_flight"],
            drivers=options["workers"],
            stop_failures=None if no_stop else options["stop_failures"],
            stop_failure_percent=None if no_stop else options["stop_rate"],
            stop_canary_failures=None if no_stop else options["stop_canary"],
            open_after_wave=options["open_after"],
            allow_downgrade=options["allow_downgrade"],
        )
        self._wait_for_counts(plan, options["count_wait"])
        made = plans.make_plan(plan)  # after the counts: the preview shows them
        seen = describe(made)
        self._show_preview(seen)
        if not seen.can_start:
            raise CommandError("Cannot start: " + "; ".join(seen.problems))
        if not options["yes"]:
            if not ask(self.stdout, "Start this rollout? [y/N] "):
                self.stdout.write("Not started.")
                return None
            if seen.downgrade and not ask(
                self.stdout, f"Go back to v{seen.version} and lose what is listed? [y/N] "
            ):
                self.stdout.write("Not started.")
                return None
        rollout = rollouts.start(
            plan,
            actor=self.actor,
            who=self.who,
            # The answer was for the plan printed: anything else is refused. --yes starts the
            # plan computed now (the same, unless something changed within a second).
            expect=made.parts(),
            downgrade_confirmed=True,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Rollout #{rollout.pk} started: the task workers run it.")
        )
        return rollout

    def _wait_for_counts(self, plan: plans.PlanOptions, seconds: float) -> None:
        """Queue counts of documents on the workers where they are missing or old, and wait
        for them at most `seconds` (never longer: the preview says what is not counted)."""
        made = plans.make_plan(plan)
        members = [c for c, _ in made.planned]
        queued = sizing.request_counts(members)
        if not queued or seconds <= 0:
            return
        self.stdout.write(f"Counting the documents of {queued} connection(s) on the workers…")
        ids = [c.pk for c in members if c.deployed_version is not None]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not Connection.objects.filter(pk__in=ids).counting().exists():
                return
            time.sleep(COUNT_POLL_SECONDS)

    def _show_preview(self, seen: rollouts.Preview) -> None:
        out = self.stdout.write
        out(f"Version v{seen.version} (package {seen.package_hash[:12] or '?'})")
        if seen.notes:
            out(f"  notes: {seen.notes}")
        if seen.user_notes:
            out(f"  users read: {seen.user_notes}")
        waves = ", ".join(f"{name}: {n}" for name, n in seen.waves)
        out(f"  {seen.targets} connection(s) to deploy ({waves or 'none'})")
        for wave in seen.wave_plans:
            out(f"    {wave.name}: {wave.members}")
        out(f"  {seen.skipped} already on v{seen.version} (skipped)")
        out(f"  stop rule: {seen.stop_rule}")
        out(f"  offer: {seen.opening}")
        s = seen.sizing
        if s is not None:
            age = (
                f", oldest count from {s.oldest_count:%Y-%m-%d %H:%M}"
                if s.oldest_count is not None
                else ""
            )
            out(
                f"  documents: {s.documents:,} over {s.counted + s.stale} counted "
                f"connection(s){age}; {s.not_counted} never counted (not in the numbers), "
                f"{s.stale} counted longer ago than the limit, {s.counting} being counted"
            )
            rewrite = ", ".join(f"{t}: {n:,}" for t, n in s.to_rewrite.items())
            out(
                f"  to rewrite: {s.documents_to_rewrite:,} document(s)"
                + (f" ({rewrite}), {s.batches:,} batch(es)" if rewrite else "")
            )
            out(f"  time: {seen.estimate} ({s.how()})")
        if seen.unhealthy:
            out(f"  unhealthy now ({len(seen.unhealthy)}, likely to fail): {seen.unhealthy_shown}")
        for group in seen.groups:
            start = f"v{group.from_version}" if group.from_version is not None else "nothing"
            out(f"  from {start} ({group.connections} connection(s)):")
            for change in group.changes or ["no schema change"]:
                out(f"    {change}")
            for migration in group.migrations:
                out(f"    migration: {migration}")
        if seen.downgrade:
            out(f"  going back to v{seen.version} loses:" if seen.losses else "  going back:")
            for loss in seen.losses or ["nothing recorded"]:
                out(f"    - {loss}")
        for problem in seen.problems:
            self.stderr.write(f"  problem: {problem}")

    def _find(self, rollout_id: int | None, action: str) -> Rollout:
        if rollout_id is not None:
            return rollouts.by_id(rollout_id)
        found = rollouts.latest_unfinished()
        if found is None:
            if action == "status":
                latest = Rollout.objects.order_by("-pk").first()
                if latest is not None:
                    return latest
            raise CommandError("No unfinished rollout: give its id.")
        return found

    def _act(self, rollout: Rollout, options: dict[str, Any]) -> None:
        action, actor, who = options["action"], self.actor, self.who
        if action == "pause":
            rollouts.pause(rollout, reason=options["reason"], actor=actor, who=who)
            self.stdout.write(f"Rollout #{rollout.pk} paused: running deploys finish.")
        elif action == "resume":
            rollouts.resume(rollout, actor=actor, who=who)
            self.stdout.write(f"Rollout #{rollout.pk} resumed.")
        elif action == "abort":
            self.stdout.write(
                rollouts.abort(rollout, reason=options["reason"], actor=actor, who=who).words(
                    rollout
                )
            )
        elif action == "open":
            rollouts.open_to_everyone(rollout, actor=actor, who=who)
            self.stdout.write(f"v{rollout.version} is offered to every user now.")

    def _follow(self, rollout: Rollout) -> None:
        found = progress(rollout)
        bar = ProgressBar(self.stdout, found.total)
        while True:
            bar.show(found.done, one_line(found))
            if not found.live:
                break
            time.sleep(FOLLOW_SECONDS)
            found = progress(rollout)
        bar.finish()
        self._report(found)
        status = found.rollout.status
        if status == RolloutStatus.PAUSED:
            self.stderr.write(
                f"Rollout #{rollout.pk} is paused ({found.rollout.paused_reason}): "
                f"resume it with `byod_rollout resume {rollout.pk}`, or abort it."
            )
            raise SystemExit(EXIT_PAUSED)
        if status == RolloutStatus.ABORTED:
            self.stderr.write(
                f"Rollout #{rollout.pk} was aborted: {found.pending + found.cancelled} "
                f"connection(s) not reached stay on their version."
            )
            raise SystemExit(EXIT_ABORTED)
        if found.failed:
            self.stderr.write(
                f"Rollout #{rollout.pk} completed: {found.failed} of {found.total} deploys failed."
            )
            raise SystemExit(EXIT_FAILURES)

    def _report(self, found: Progress) -> None:
        rollout = found.rollout
        self.stdout.write(
            f"Rollout #{rollout.pk} to v{rollout.version}: {rollout.status}"
            + (f" ({rollout.paused_reason})" if rollout.paused_reason else "")
            + (f", started by {rollout.started_by}" if rollout.started_by else "")
        )
        rows = [("wave", "planned", "succeeded", "failed", "running", "waiting", "other")]
        for wave in found.waves:
            rows.append(
                (
                    wave.name,
                    str(wave.planned),
                    str(wave.succeeded),
                    str(wave.failed),
                    str(wave.running),
                    str(wave.waiting),
                    str(wave.other),
                )
            )
        for line in table(rows):
            self.stdout.write("  " + line)
        self.stdout.write(
            f"  {found.succeeded} succeeded, {found.failed} failed, {found.running} running, "
            f"{found.pending} not reached, {found.skipped} skipped, {found.cancelled} cancelled"
        )
        if found.failures:
            said = ", ".join(f"{cat}: {n}" for cat, n in sorted(found.failures.items()))
            self.stdout.write(f"  failures by category: {said}")
        if found.slowest:
            said = ", ".join(f"#{s.deployment_id} {s.user} {s.seconds:.1f}s" for s in found.slowest)
            self.stdout.write(f"  slowest: {said}")


def _actor(name: str | None) -> tuple[User | None, str]:
    """Who acts: the user named by --actor, else the OS user running the command."""
    if name:
        (user,) = find_users([name])
        return user, user.get_username()
    try:
        return None, f"{getpass.getuser()} (shell)"
    except (KeyError, OSError):
        return None, "unknown (shell)"
