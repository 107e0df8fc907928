"""Re-encrypt every stored deploy key that is not on the current (first) encryption key.

Rotation without downtime: put the new key first in BYOD_ENCRYPTION_KEYS and keep the old
one after it, restart, run this command, then drop the old key. The work (batched,
resumable, idempotent, audited) is `byod.services.key_rotation.rotate_keys`; this parses,
calls it and reports. Rows whose key cannot be read are listed, including those already on
the current key, and the command then exits non-zero.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from byod.services import key_rotation


class Command(BaseCommand):
    help = "Re-encrypt stored deploy keys with the current (first) key of BYOD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="Rows per transaction.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the rows to rotate; change nothing."
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        plan = key_rotation.rotation_plan()
        self.stdout.write(
            f"Current key: {plan.current_key_id}. To rotate: {plan.to_rotate}. "
            f"Already on the current key: {plan.on_current_key}."
        )
        report = key_rotation.rotate_keys(
            batch_size=batch_size,
            dry_run=dry_run,
            on_batch=None if dry_run else self._progress,
        )
        if not dry_run:
            self.stdout.write(f"Rotated: {report.rotated}. Unreadable: {len(report.unreadable)}.")
        for pk, reason in sorted(report.unreadable.items()):
            self.stderr.write(f"  connection {pk}: {reason}")
        if report.unreadable:
            ids = ", ".join(map(str, sorted(report.unreadable)[:20]))
            raise CommandError(
                f"{len(report.unreadable)} key(s) could not be read (connection ids: {ids}). "
                "Put their old encryption key back in BYOD_ENCRYPTION_KEYS and run again, or "
                "ask those users to enter their deploy key again."
            )

    def _progress(self, report: key_rotation.Rotation) -> None:
        self.stdout.write(f"  rotated {report.rotated}/{report.to_rotate}")
