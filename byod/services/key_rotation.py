"""Key rotation: re-seal every stored deploy key with the first key of the ring.

Batched (each batch commits on its own, so an interrupted run is resumed by running it again),
idempotent (rows already on the current key are only opened, to report any that cannot be
read) and audited (one `key.rotated` Event per re-sealed row). Sealing and opening stay in
`byod.keys`; this is the workflow around them (`manage.py byod_rotate_keys`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from byod import keys, transitions
from byod.errors import KeyUnreadable
from byod.keys import current_key_id, open_deploy_key, seal_deploy_key
from byod.models import Connection, Event, EventKind, Move


@dataclass
class Rotation:
    """What a rotation did (or, in a dry run, would do)."""

    current_key_id: str
    to_rotate: int = 0
    on_current_key: int = 0
    rotated: int = 0
    unreadable: dict[int, str] = field(default_factory=dict)  # connection id -> reason


def rotation_plan() -> Rotation:
    """How many stored keys a rotation would re-seal, and how many are already current."""
    current = current_key_id()
    stored = Connection.objects.exclude(key_ciphertext="")
    return Rotation(
        current,
        to_rotate=stored.exclude(key_id=current).count(),
        on_current_key=stored.filter(key_id=current).count(),
    )


def rotate_keys(
    *,
    batch_size: int = 200,
    dry_run: bool = False,
    on_batch: Callable[[Rotation], None] | None = None,
) -> Rotation:
    """Re-seal every stored deploy key that is not on the current key; check all others.

    Each batch commits on its own, so an interrupted run is resumed by running it again;
    rows already on the current key are only opened (to report any that cannot be read),
    so running it twice changes nothing. Writes a ``key.rotated`` Event per re-sealed row.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = rotation_plan()
    current = report.current_key_id
    stored = Connection.objects.exclude(key_ciphertext="")
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                stored.select_for_update()
                .select_related("user")
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1].pk
            _rotate_batch(rows, current, report, dry_run=dry_run)
        if on_batch is not None:
            on_batch(report)
    _rotate_waiting_switches(current, report, dry_run=dry_run)
    return report


@sensitive_variables("plaintext")
def _rotate_waiting_switches(current: str, report: Rotation, *, dry_run: bool) -> None:
    """Re-seal the new deployment's key a move to new credentials holds until it applies them
    (`Move.switch_*`): dropping the old encryption key must not make it unreadable."""
    waiting = Move.objects.exclude(switch_key_ciphertext="").select_related("user")
    for move in waiting.exclude(switch_key_id=current):
        old = keys.Sealed(key_id=move.switch_key_id, ciphertext=move.switch_key_ciphertext)
        owner = move.user.external_id
        try:
            plaintext = keys.decrypt(old, owner=owner, field=keys.KEY_FIELD)
        except KeyUnreadable as error:
            # Reported under the user's connection, whose new credentials they are.
            report.unreadable[move.source_id] = f"move {move.pk}: {error.detail}"
            continue
        if dry_run:
            continue
        sealed = seal_deploy_key(plaintext, owner=owner)
        del plaintext
        # Conditional: a move that applied or erased its credentials meanwhile is left alone.
        report.rotated += Move.objects.filter(
            pk=move.pk, switch_key_id=old.key_id, switch_key_ciphertext=old.ciphertext
        ).update(switch_key_ciphertext=sealed.ciphertext, switch_key_id=sealed.key_id)


@sensitive_variables("plaintext")
def _rotate_batch(rows: list[Connection], current: str, report: Rotation, *, dry_run: bool) -> None:
    events: list[Event] = []
    for row in rows:
        try:
            plaintext = open_deploy_key(row)
        except KeyUnreadable as error:
            report.unreadable[row.pk] = error.detail
            continue
        if row.key_id == current or dry_run:
            continue
        sealed = seal_deploy_key(plaintext, owner=row.user.external_id)
        del plaintext
        # Conditional: a row whose key changed meanwhile is left as it is.
        updated = Connection.objects.filter(
            pk=row.pk, key_id=row.key_id, key_ciphertext=row.key_ciphertext
        ).update(key_ciphertext=sealed.ciphertext, key_id=sealed.key_id)
        if updated:
            report.rotated += 1
            events.append(
                transitions.event(
                    row,
                    EventKind.KEY_ROTATED,
                    f"Deploy key re-encrypted with key {sealed.key_id} (was {row.key_id}).",
                    data={"from_key_id": row.key_id, "to_key_id": sealed.key_id},
                )
            )
    Event.objects.bulk_create(events)
