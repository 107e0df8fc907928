"""The admin lists moves, read-only, with filters for failed ones and by direction, and shows
their counts per table."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from byod import transitions
from byod.models import MoveDirection
from tests.fixtures.people import client_for, make_user
from tests.moves.helpers import make_move


def test_the_admin_lists_moves_with_filters_and_counts(staff: User, owner: User) -> None:
    failed = make_move(owner)
    transitions.move_running(failed, worker="w1")
    failed.tables = {"notes": {"source_count": 12, "copied": 7}}
    transitions.move_failed(failed, category="unreachable", message="Gone.", worker="w1")
    other = make_user("someone")
    make_move(other, MoveDirection.DELETE)
    admin = client_for(staff)
    url = reverse("admin:byod_move_changelist")
    everything = admin.get(url).content.decode()
    assert "7 of 12" in everything and "someone" in everything
    only_failed = admin.get(url + "?status__exact=failed").content.decode()
    assert "owner" in only_failed and "someone" not in only_failed
    deletes = admin.get(url + "?direction__exact=delete").content.decode()
    assert "someone" in deletes and "7 of 12" not in deletes
    page = admin.get(reverse("admin:byod_move_change", args=[failed.pk])).content.decode()
    assert "<td>notes</td><td>12</td><td>7</td>" in page


def test_a_running_move_not_counted_yet_says_so(staff: User, owner: User) -> None:
    # The source is counted while the copy goes on: no total until every table is counted.
    running = make_move(owner)
    transitions.move_running(running, worker="w1")
    running.tables = {"notes": {"source_count": 12, "copied": 7}, "tasks": {"copied": 50}}
    running.save(update_fields=["tables"])
    listed = client_for(staff).get(reverse("admin:byod_move_changelist")).content.decode()
    assert "57, counting" in listed and " of 12" not in listed
    # Counted, with nothing in it: a total of zero, not "counting".
    running.tables = {"notes": {"source_count": 0, "copied": 0}}
    running.save(update_fields=["tables"])
    listed = client_for(staff).get(reverse("admin:byod_move_changelist")).content.decode()
    assert "0 of 0" in listed and "counting" not in listed


def test_moves_cannot_be_added_changed_or_deleted_in_the_admin(staff: User, owner: User) -> None:
    move = make_move(owner)
    admin = client_for(staff)
    assert admin.get(reverse("admin:byod_move_add")).status_code == 403
    deleted = admin.post(reverse("admin:byod_move_delete", args=[move.pk]), {"post": "yes"})
    assert deleted.status_code == 403
