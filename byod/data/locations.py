"""Where a user's content is, and whether it can be reached now: never guessed, never a fallback.

`resolve(user)` reads the user's `ContentLocation` (their own deployment, or the main one) in
one query, and the main deployment's connection in a second one when the user has no row.
The same query says whether a move of the user's content has frozen it (`Location.moving`):
the data plane then refuses writes with `moving` (`refuse_writes`), and reads go on from the
source, which is the location until the move flips it.
`usable(location)` says, from the connection row already in hand (no query, no call), why the
data plane must not call now:

- the location's connection is disconnected or has no key: `not_connected`;
- its deployment runs no data functions yet (a version before `DATA_FUNCTIONS_SINCE`, or
  nothing deployed; the older of the pushed and deployed versions counts):
  `update_needed` (the settings page can start the update);
- it is unhealthy (probes, failed deploys or failed requests, `byod.transitions.breaker`):
  `unavailable_now`, with the health reason's words, until the sweep finds it working.

A user whose own deployment is down gets that failure: their content is never read from or
written to the main deployment instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.db.models import Exists

from byod.data.errors import DataError
from byod.errors import MOVING, NOT_CONNECTED, UNAVAILABLE_NOW, UPDATE_NEEDED, find
from byod.models import (
    Connection,
    ConnectionStatus,
    ContentLocation,
    Health,
    LocationKind,
    Move,
)
from byod.package.version import DATA_FUNCTIONS_SINCE

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Location:
    """The deployment holding a user's content: `kind` "main" or "own", and its connection."""

    kind: Literal["main", "own"]
    connection: Connection
    moving: bool = False  # a move froze the user's content: writes are refused

    @property
    def is_main(self) -> bool:
        return self.kind == "main"


def main_connection() -> Connection | None:
    """The main deployment's connection, if one is registered (`byod_main_deployment`)."""
    # With its owner: opening the deploy key reads it (the key is bound to the row's user).
    return Connection.objects.select_related("user").filter(is_main=True).first()


def held_in_main(user: User) -> bool:
    """Whether `user`'s content is in the main deployment now (a main one is registered and
    they have no own location): what the connect form tells them stays there for now."""
    own = ContentLocation.objects.filter(user_id=user.pk, kind=LocationKind.OWN)
    return not own.exists() and Connection.objects.filter(is_main=True).exists()


def resolve(user: User) -> Location:
    """`user`'s location (one query; two without a row), and whether a move froze it.
    DataError(not_connected) when the user has none: no own deployment and no main one."""
    moving = Exists(Move.objects.frozen().filter(user_id=user.pk))
    row = (
        ContentLocation.objects.select_related("connection")
        .annotate(moving=moving)
        .filter(user_id=user.pk)
        .first()
    )
    if row is not None:
        kind: Literal["main", "own"] = "own" if row.kind == LocationKind.OWN else "main"
        connection = row.connection
        if connection.user_id == user.pk:
            connection.user = user  # opening the key reads its owner: no query for it
        return Location(kind, connection, moving=bool(row.moving))
    main = (
        Connection.objects.select_related("user")
        .annotate(moving=moving)
        .filter(is_main=True)
        .first()
    )
    if main is None:
        raise DataError(NOT_CONNECTED, "no content location: no own deployment, no main one")
    return Location("main", main, moving=bool(main.moving))  # type: ignore[attr-defined]


def refuse_writes(location: Location) -> None:
    """Raise DataError(moving) when a move froze the content (no query, no call)."""
    if location.moving:
        raise DataError(MOVING, f"connection {location.connection.pk}: content frozen by a move")


def data_version(connection: Connection) -> int | None:
    """The package version whose data functions the deployment surely runs: the deployed one,
    or the older of the pushed and deployed ones (a deploy under way, a migration, a way back
    whose push was not verified yet). None: nothing deployed."""
    deployed, pushed = connection.deployed_version, connection.pushed_version
    if deployed is None:
        return None
    return deployed if pushed is None else min(deployed, pushed)


def usable(location: Location) -> None:
    """Raise the DataError that stops calls to `location` now, if any (no query, no call)."""
    connection = location.connection
    where = "the main deployment" if location.is_main else "your deployment"
    if connection.status == ConnectionStatus.DISCONNECTED or not connection.has_key:
        raise DataError(NOT_CONNECTED, f"connection {connection.pk}: disconnected or no key")
    found = data_version(connection)
    if found is None or found < DATA_FUNCTIONS_SINCE:
        raise DataError(
            UPDATE_NEEDED,
            f"connection {connection.pk}: version {found} has no data functions "
            f"(needs {DATA_FUNCTIONS_SINCE})",
            user_message=_update_words(location),
        )
    if connection.health == Health.UNHEALTHY:
        kind = find(connection.health_reason)
        said = connection.health_message or (kind.message if kind else "")
        raise DataError(
            UNAVAILABLE_NOW,
            f"connection {connection.pk}: unhealthy ({connection.health_reason})",
            user_message=(
                f"We do not call {where} until it works again: {said}".strip().rstrip(":")
            ),
        )


def _update_words(location: Location) -> str:
    if location.is_main:
        return (
            "Content cannot be read or written while the main deployment is being updated. "
            "Try again in a few minutes."
        )
    return (
        "Your deployment runs a version of our package that cannot read or write content. "
        "Start the update on the settings page; your content is usable once it is done."
    )
