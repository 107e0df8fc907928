"""Re-encrypt every stored deploy key that is not on the current (first) encryption key.

Rotation without downtime: put the new key first in BYOD_ENCRYPTION_KEYS and keep the old
one after it, deploy, run this command, then drop the old key. Each batch commits on its
own, so an interrupted run is resumed by running it again; rows already on the current key
are skipped, so running it twice changes nothing.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from byod import crypto
from byod.models import Connection
from byod.services.connections import KEY_FIELD


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
        current = crypto.current_key_id()
        stale = Connection.objects.exclude(key_ciphertext="").exclude(key_id=current)
        total = stale.count()
        on_current = Connection.objects.exclude(key_ciphertext="").filter(key_id=current).count()
        self.stdout.write(
            f"Current key: {current}. To rotate: {total}. Already on the current key: {on_current}."
        )
        if dry_run or total == 0:
            return
        rotated, failed, last_pk = 0, [], 0
        while True:
            done, batch_failed, last_pk = self._batch(current, last_pk, batch_size)
            if done == 0 and not batch_failed:
                break
            rotated += done
            failed.extend(batch_failed)
            self.stdout.write(f"  rotated {rotated}/{total}")
        self.stdout.write(f"Rotated: {rotated}. Failed: {len(failed)}.")
        if failed:
            raise CommandError(
                f"{len(failed)} key(s) could not be decrypted (connection ids: "
                f"{', '.join(map(str, failed[:20]))}). Put their old encryption key back in "
                "BYOD_ENCRYPTION_KEYS and run again, or ask those users to reconnect."
            )

    def _batch(self, current: str, after_pk: int, size: int) -> tuple[int, list[int], int]:
        """Rotate up to ``size`` rows with pk > ``after_pk`` in one transaction."""
        rotated: list[int] = []
        failed: list[int] = []
        last_pk = after_pk
        with transaction.atomic():
            rows = list(
                Connection.objects.select_for_update()
                .select_related("user")
                .exclude(key_ciphertext="")
                .exclude(key_id=current)
                .filter(pk__gt=after_pk)
                .order_by("pk")[:size]
            )
            for row in rows:
                last_pk = row.pk
                owner = row.user.external_id
                try:
                    plaintext = crypto.decrypt(
                        crypto.Sealed(row.key_id, row.key_ciphertext), owner=owner, field=KEY_FIELD
                    )
                except crypto.DecryptionError as error:
                    self.stderr.write(f"  connection {row.pk}: {error}")
                    failed.append(row.pk)
                    continue
                sealed = crypto.encrypt(plaintext, owner=owner, field=KEY_FIELD)
                del plaintext
                # Conditional: a row whose key changed meanwhile is left as it is.
                updated = Connection.objects.filter(
                    pk=row.pk, key_id=row.key_id, key_ciphertext=row.key_ciphertext
                ).update(key_ciphertext=sealed.ciphertext, key_id=sealed.key_id)
                if updated:
                    rotated.append(row.pk)
        return len(rotated), failed, last_pk
