"""Move users' content: in (main deployment to theirs), back (theirs to main), or delete ours in
theirs.

    manage.py byod_move in|back|delete --user U [--user ...] [--dry-run]
    manage.py byod_move download --user U [--user ...]

Each move is queued like one a page asks for (one per user at a time) and run here, one user
after another, with a progress bar of its documents; a worker that picks up the same move
meanwhile finds it taken. `--dry-run` moves nothing: it counts, per table, the documents that
would move (or be deleted). Prints a summary; exits non-zero when a move did not finish.

`download` prepares a user's "Download my data" ZIP here (as the settings page's button does on a
worker) and prints where it was written and how many documents of each table it holds.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from byod.errors import ByodError
from byod.management.reporting import ProgressBar, find_users, logs_held, shorten, table
from byod.models import DownloadStatus, Move, MoveDirection, MoveStatus
from byod.services.downloads.run import directory, request_download, run_download
from byod.services.moves import control
from byod.services.moves.run import run_move

DOWNLOAD = "download"


class Command(BaseCommand):
    help = "Move users' content in, back, or delete it (--dry-run: count what would move)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("direction", choices=[*MoveDirection.values, DOWNLOAD])
        parser.add_argument(
            "--user", action="append", required=True, metavar="U", help="username or email"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would move; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = find_users(options["user"])
        with logs_held(self.stderr):
            if options["direction"] == DOWNLOAD:
                failed = self._downloads(users)
            elif options["dry_run"]:
                failed = self._dry_run(users, options["direction"])
            else:
                failed = self._run(users, options["direction"])
        if failed:
            what = "download(s)" if options["direction"] == DOWNLOAD else "move(s)"
            raise CommandError(f"{failed} of {len(users)} {what} did not finish.")

    def _downloads(self, users: list[User]) -> int:
        rows: list[tuple[str, ...]] = [("user", "download", "status", "documents", "file")]
        failed = 0
        for user in users:
            self.stdout.write(f"{user}: download")
            try:
                download = request_download(user, actor=None)
            except ByodError as refused:
                failed += 1
                rows.append((str(user), "-", "not started", "-", shorten(refused.user_message, 60)))
                continue
            download = run_download(download.pk) or download
            download.refresh_from_db()
            ready = download.status == DownloadStatus.READY
            failed += not ready
            where = str(directory() / download.file_name) if ready else download.error_message
            rows.append(
                (
                    str(user),
                    str(download.pk),
                    download.get_status_display(),
                    f"{download.documents:,}",
                    shorten(where, 80),
                )
            )
            for name, count in download.counts.items():
                if count:
                    self.stdout.write(f"  {name}: {count:,}")
            if ready:
                self.stdout.write(f"  written to {where} ({download.size:,} bytes)")
        for line in table(rows):
            self.stdout.write(line)
        self.stdout.write(f"{len(users) - failed} of {len(users)} download(s) ready.")
        return failed

    def _dry_run(self, users: list[User], direction: str) -> int:
        rows = [("user", "table", "documents")]
        failed = total = 0
        for user in users:
            try:
                counts = control.preview(user, direction)
            except ByodError as error:
                failed += 1
                rows.append((str(user), "-", f"{error.category}: {error.user_message}"))
                continue
            for name, count in counts.items():
                if count:
                    rows.append((str(user), name, f"{count:,}"))
            total += sum(counts.values())
            rows.append((str(user), "(all tables)", f"{sum(counts.values()):,}"))
        for line in table(rows):
            self.stdout.write(line)
        verb = "be deleted" if direction == MoveDirection.DELETE else "move"
        self.stdout.write(
            f"Dry run: {total:,} document(s) of {len(users) - failed} user(s) would {verb}; "
            "nothing was written."
        )
        return failed

    def _run(self, users: list[User], direction: str) -> int:
        rows: list[tuple[str, ...]] = [("user", "move", "status", "documents", "error")]
        failed = 0
        for user in users:
            self.stdout.write(f"{user}: {direction}")
            row, finished = self._one(user, direction)
            rows.append(row)
            failed += not finished
        for line in table(rows):
            self.stdout.write(line)
        self.stdout.write(f"{len(users) - failed} of {len(users)} move(s) finished.")
        return failed

    def _one(self, user: User, direction: str) -> tuple[tuple[str, ...], bool]:
        """Queue and run one user's move here: its summary row, and whether it finished."""
        try:
            move = control.request_move(user, direction, actor=None)
        except ByodError as refused:
            return (str(user), "-", "not started", "-", shorten(refused.user_message, 60)), False
        bar: ProgressBar | None = None  # drawn once every table is counted

        def show(seen: Move) -> None:
            nonlocal bar
            if not seen.counted:
                return
            done, total = seen.totals()
            if bar is None:
                bar = ProgressBar(self.stdout, total)
            bar.show(min(done, bar.total), seen.get_phase_display())

        ended = run_move(move.pk, progress=show) or move
        if bar is not None:
            bar.finish()
        ended.refresh_from_db()
        done, total = ended.totals()
        said = f"{ended.error_category}: {ended.error_message}" if ended.error_category else ""
        row = (
            str(user),
            str(ended.pk),
            ended.get_status_display(),
            f"{done:,} of {total:,}",
            shorten(said, 60),
        )
        return row, ended.status == MoveStatus.DONE
