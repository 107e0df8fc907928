"""One lease per connection, and it says what holds it: a move and a deploy never hold the
user's connection at once."""

from __future__ import annotations

from accounts.models import User
from byod.models import Connection, LeaseKind
from byod.services.deploys import lease
from tests.fixtures.connections import make_connection


def test_a_move_holding_the_lease_keeps_a_deploy_out_and_says_so(owner: User) -> None:
    own = make_connection(owner)
    assert lease.take(own.pk, "mover", kind=LeaseKind.MOVE)
    assert not lease.take(own.pk, "deployer")
    own.refresh_from_db()
    assert (own.lease_owner, own.lease_kind) == ("mover", LeaseKind.MOVE)
    lease.release(own.pk, "mover")
    assert lease.take(own.pk, "deployer")
    assert Connection.objects.get(pk=own.pk).lease_kind == LeaseKind.DEPLOY


def test_a_deploy_holding_the_lease_keeps_a_move_out(owner: User) -> None:
    own = make_connection(owner)
    assert lease.take(own.pk, "deployer")
    assert not lease.take(own.pk, "mover", kind=LeaseKind.MOVE)
    lease.release(own.pk, "deployer")
    own.refresh_from_db()
    assert (own.lease_owner, own.lease_kind, own.lease_expires_at) == ("", "", None)
