"""The machinery every status move shares: the conditional UPDATE, the Event, the error."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from byod.errors import NotAllowed
from byod.models import Connection, Deployment, Event, Rollout

if TYPE_CHECKING:
    from accounts.models import User


class TransitionError(NotAllowed):
    """A status move that the row's current status does not allow."""

    def __init__(self, obj: models.Model, to: str, allowed_from: tuple[str, ...]) -> None:
        current = str(getattr(obj, "status", "?"))
        to = str(to)
        self.current = current
        self.to = to
        super().__init__(
            f"{type(obj).__name__} {obj.pk} cannot go from {current!r} to {to!r} "
            f"(allowed from: {', '.join(str(s) for s in allowed_from)}).",
            user_message=f"That cannot be done while this is {current}.",
        )


class NotHolder(TransitionError):
    """A worker's write about a deploy attempt it no longer holds (`byod.transitions.fence`):
    dropped, and logged where it was found out."""

    def __init__(self, deployment: Deployment, what: str) -> None:
        self.current = str(deployment.status)
        self.to = what
        NotAllowed.__init__(
            self,
            f"Deployment {deployment.pk}: {what} dropped: {deployment.holder} no longer holds it.",
            user_message="That deploy attempt was taken over; its outcome was not recorded.",
        )


def event(
    connection: Connection,
    kind: str,
    message: str = "",
    *,
    actor: User | None = None,
    deployment: Deployment | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """An unsaved audit Event (for ``bulk_create`` by callers writing many at once)."""
    return Event(
        connection=connection,
        deployment=deployment,
        actor=actor,
        kind=kind,
        message=message[:2000],
        data=data or {},
    )


def record(
    connection: Connection,
    kind: str,
    message: str = "",
    *,
    actor: User | None = None,
    deployment: Deployment | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Write one audit Event. Public for audit-worthy actions that are not status moves."""
    made = event(connection, kind, message, actor=actor, deployment=deployment, data=data)
    made.save()
    return made


def _move(
    obj: Connection | Deployment | Rollout,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    where: Q | None = None,
    **fields: Any,
) -> str:
    """Conditionally move ``obj`` to status ``to``; returns the previous status. `where` adds
    a condition to the UPDATE (a fence: `byod.transitions.fence`)."""
    model = type(obj)
    rows = model.objects.filter(pk=obj.pk).filter(where or Q())
    previous = rows.select_for_update().values_list("status", flat=True).first()
    if previous is None or previous not in allowed_from:
        if previous is not None:
            obj.status = previous
        raise TransitionError(obj, to, allowed_from)
    values = {"status": to, **fields}
    if model is Connection:
        values["updated_at"] = timezone.now()
    updated = rows.filter(status=previous).update(**values)
    if updated != 1:  # pragma: no cover - the row lock above makes this unreachable
        raise TransitionError(obj, to, allowed_from)
    _mirror(obj, values)
    return previous


def _move_known(
    obj: Connection | Deployment | Rollout,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    where: Q | None = None,
    **fields: Any,
) -> str:
    """Like `_move`, in one conditional UPDATE, without reading the row first: for the hot
    path, where the status in hand is recent. Returns the status the object held (the one in
    hand; the UPDATE's condition is what makes the move safe)."""
    model = type(obj)
    values = {"status": to, **fields}
    if model is Connection:
        values["updated_at"] = timezone.now()
    rows = model.objects.filter(pk=obj.pk, status__in=allowed_from).filter(where or Q())
    updated = rows.update(**values)
    if updated != 1:
        current = model.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
        if current is not None:
            obj.status = current
        raise TransitionError(obj, to, allowed_from)
    previous = str(obj.status) if obj.status in allowed_from else "?"
    _mirror(obj, values)
    return previous


def _update_connection(connection: Connection, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(**fields)
    _mirror(connection, fields)


def _mirror(obj: models.Model, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if hasattr(value, "resolve_expression"):  # an F() expression: read the result back
            obj.refresh_from_db(fields=[name])
        else:
            setattr(obj, name, value)


def _error_fields(category: str, message: str, at: datetime) -> dict[str, Any]:
    return {
        "last_error_category": category,
        "last_error_message": message,
        "last_error_at": at,
    }


_NO_ERROR: dict[str, Any] = {
    "last_error_category": "",
    "last_error_message": "",
    "last_error_at": None,
}
