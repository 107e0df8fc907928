"""Roll a package version out to every connection, on the task workers.

    manage.py byod_rollout start [--version N] [--canary-user U ...] [--canary-count C |
                                 --canary-percent P] [--wave-size W] [--in-flight K]
                                 [--drivers D] [--stop-failures F] [--stop-rate R]
                                 [--yes] [--follow]
    manage.py byod_rollout status [ID] [--follow]
    manage.py byod_rollout pause|resume|abort [ID] [--follow]

`start` shows the plan, the schema changes and the data migrations, and asks before it starts
(unless --yes). The deploys run on `manage.py db_worker` processes; `--follow` shows progress
until the rollout completes, pauses or is aborted. ID defaults to the latest unfinished one.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod.errors import ByodError
from byod.management.reporting import ProgressBar, find_users, table
from byod.models import Rollout, RolloutStatus
from byod.services.rollouts import control as rollouts
from byod.services.rollouts.progress import Progress, one_line, progress

FOLLOW_SECONDS = 0.5


class Command(BaseCommand):
    help = "Start, watch, pause, resume or abort a rollout of a package version."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version is the package version here; it replaces Django's --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        begin = sub.add_parser("start", help="plan a rollout, confirm, start it")
        begin.add_argument("--version", type=int, help="package version (default: current)")
        begin.add_argument("--canary-user", action="append", default=[], metavar="U")
        canary = begin.add_mutually_exclusive_group()
        canary.add_argument("--canary-count", type=int, default=0, metavar="C")
        canary.add_argument("--canary-percent", type=int, default=0, metavar="P")
        begin.add_argument("--wave-size", type=int, default=100, metavar="W")
        begin.add_argument("--in-flight", type=int, default=10, metavar="K")
        begin.add_argument(
            "--drivers",
            "--workers",  # its name before it was called what it is
            dest="workers",
            type=int,
            default=2,
            metavar="D",
            help="driver tasks: each runs on one task worker at a time, giving way to people's "
            "own tasks, and runs its share of the deploys in flight",
        )
        begin.add_argument("--stop-failures", type=int, metavar="F")
        begin.add_argument("--stop-rate", type=int, metavar="R", help="failure percent")
        begin.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        begin.add_argument("--follow", action="store_true")
        for name in ("status", "pause", "resume", "abort"):
            action = sub.add_parser(name)
            action.add_argument("id", nargs="?", type=int, help="default: the latest unfinished")
            action.add_argument("--follow", action="store_true")
            if name in ("pause", "abort"):
                action.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
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
        plan = rollouts.PlanOptions(
            version=options["version"],
            canary_users=tuple(u.pk for u in users),
            canary_count=options["canary_count"],
            canary_percent=options["canary_percent"],
            wave_size=options["wave_size"],
            max_in_flight=options["in_flight"],
            drivers=options["workers"],
            stop_failures=options["stop_failures"],
            stop_failure_percent=options["stop_rate"],
        )
        seen = rollouts.preview(plan)
        self._show_preview(seen)
        if not seen.can_start:
            raise CommandError("Cannot start: " + "; ".join(seen.problems))
        if not options["yes"]:
            answer = input("Start this rollout? [y/N] ").strip().lower()
            if not sys.stdin.isatty():  # a piped answer is not echoed: end the prompt's line
                self.stdout.write("")
            if answer not in ("y", "yes"):
                self.stdout.write("Not started.")
                return None
        rollout = rollouts.start(plan)
        self.stdout.write(
            self.style.SUCCESS(f"Rollout #{rollout.pk} started: the task workers run it.")
        )
        return rollout

    def _show_preview(self, seen: rollouts.Preview) -> None:
        self.stdout.write(f"Version v{seen.version} (package {seen.package_hash[:12] or '?'})")
        if seen.changelog:
            self.stdout.write(f"  changelog: {seen.changelog}")
        waves = ", ".join(f"{name}: {n}" for name, n in seen.waves)
        self.stdout.write(f"  {seen.targets} connection(s) to deploy ({waves or 'none'})")
        self.stdout.write(f"  {seen.skipped} already on v{seen.version} (skipped)")
        for group in seen.groups:
            start = f"v{group.from_version}" if group.from_version is not None else "nothing"
            self.stdout.write(f"  from {start} ({group.connections} connection(s)):")
            for change in group.changes or ["no schema change"]:
                self.stdout.write(f"    {change}")
            for migration in group.migrations:
                self.stdout.write(f"    migration: {migration}")
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
        action = options["action"]
        if action == "pause":
            rollouts.pause(rollout, reason=options["reason"])
            self.stdout.write(f"Rollout #{rollout.pk} paused: running deploys finish.")
        elif action == "resume":
            rollouts.resume(rollout)
            self.stdout.write(f"Rollout #{rollout.pk} resumed.")
        elif action == "abort":
            cancelled = rollouts.abort(rollout, reason=options["reason"])
            self.stdout.write(
                f"Rollout #{rollout.pk} aborted: {cancelled} queued deploy(s) cancelled; "
                "running ones finish; connections not reached stay on their version."
            )

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
        if found.rollout.status == RolloutStatus.PAUSED:
            raise CommandError(f"Rollout #{rollout.pk} paused: {found.rollout.paused_reason}")
        if found.failed:
            raise CommandError(f"{found.failed} of {found.total} deploys failed.")

    def _report(self, found: Progress) -> None:
        rollout = found.rollout
        self.stdout.write(
            f"Rollout #{rollout.pk} to v{rollout.version}: {rollout.status}"
            + (f" ({rollout.paused_reason})" if rollout.paused_reason else "")
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
