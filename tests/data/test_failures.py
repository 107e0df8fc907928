"""Failures of the data plane over real sockets: refused before any call, a deployment that
never answers, and the breaker that stops calling an unhealthy deployment until the sweep."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import User
from byod.data import store_for
from byod.data.errors import DataError
from byod.errors import (
    INVALID_ARGUMENT,
    NOT_FOUND,
    PROTOCOL_ERROR,
    TIMEOUT,
    UNAVAILABLE_NOW,
    UNREACHABLE,
    VALUE_REFUSED,
)
from byod.models import Connection, Event, EventKind, Health, HealthSource
from byod.transitions import breaker
from byod.transitions.health import Probe, record_probes
from tests.data.conftest import Listener, content_in
from tests.fixtures.people import make_user
from tests.fixtures.waiting import wait_for

NOTE: dict[str, Any] = {
    "title": "T",
    "content": "C",
    "isPinned": False,
    "isArchived": False,
    "createdAt": 1.0,
    "updatedAt": 1.0,
}


def fast_failures() -> float:
    labels = {"operation": "get", "purpose": "data_web", "category": UNAVAILABLE_NOW}
    return REGISTRY.get_sample_value("byod_data_operations_total", labels) or 0.0


def failure(call: Any) -> DataError:
    with pytest.raises(DataError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    "doc",
    [
        {**NOTE, "title": {"$ref": "#/defs"}},
        {**NOTE, "content": "x" * (1024 * 1024 + 1)},
        {**NOTE, "userId": "someone-else"},
        {**NOTE, "colour": "red"},
    ],
)
def test_a_value_convex_would_refuse_is_refused_before_any_call(
    owner: User, listener: Listener, doc: dict[str, Any]
) -> None:
    content_in(owner, listener.url)
    store = store_for(owner)
    assert failure(lambda: store.notes.insert(doc)).category == VALUE_REFUSED  # type: ignore[arg-type]
    assert listener.accepted == 0


def test_a_bad_query_is_refused_before_any_call(owner: User, listener: Listener) -> None:
    content_in(owner, listener.url)
    notes = store_for(owner).notes
    assert failure(lambda: notes.page("by_nothing")).category == INVALID_ARGUMENT
    assert failure(lambda: notes.page("by_user_pinned", eq={"isArchived": True})).category == (
        INVALID_ARGUMENT
    )
    assert failure(lambda: notes.page("by_user", limit=5000)).category == INVALID_ARGUMENT
    assert notes.get("") is None
    assert listener.accepted == 0


def test_a_deployment_that_never_answers_fails_in_time_and_stalls_no_other_thread(
    transactional_db: None, settings: Any, silent_listener: Listener, listener: Listener
) -> None:
    settings.BYOD_DATA_WEB_READ_SECONDS = 3.0
    settings.BYOD_DATA_WEB_CALL_SECONDS = 3.0
    settings.BYOD_DATA_WEB_TOTAL_SECONDS = 3.0
    stuck_user, other_user = make_user("stuck"), make_user("other")
    content_in(stuck_user, silent_listener.url, name="stuck-one")
    content_in(other_user, listener.url, name="other-one")
    stuck, other = store_for(stuck_user), store_for(other_user)
    outcome: list[DataError] = []
    ended = threading.Event()

    def read_stuck() -> None:
        try:
            stuck.notes.get("abc")
        except DataError as error:
            outcome.append(error)
        finally:
            ended.set()

    thread = threading.Thread(target=read_stuck)
    thread.start()
    wait_for(lambda: silent_listener.accepted >= 1, timeout=10, what="the stuck call to connect")
    # While that call waits for an answer, another user's call runs and fails on its own.
    assert failure(lambda: other.notes.get("abc")).category == UNREACHABLE
    assert not ended.is_set()
    thread.join(timeout=30)
    assert [e.category for e in outcome] == [TIMEOUT]


def test_the_breaker_opens_fails_without_calling_and_closes_after_the_sweep(
    owner: User, settings: Any, listener: Listener
) -> None:
    settings.BYOD_DATA_HEALTH_GAP_SECONDS = 0
    connection = content_in(owner, listener.url)
    for _ in range(settings.BYOD_HEALTH_FAILURES_TO_UNHEALTHY):
        assert failure(lambda: store_for(owner).notes.get("abc")).category == UNREACHABLE
    connection.refresh_from_db()
    assert (connection.health, connection.health_source) == (Health.UNHEALTHY, HealthSource.REQUEST)
    assert Event.objects.filter(connection=connection, kind=EventKind.HEALTH_UNHEALTHY).exists()
    called = listener.accepted
    before = fast_failures()
    fast = failure(lambda: store_for(owner).notes.get("abc"))
    assert fast.category == UNAVAILABLE_NOW
    assert "We could not reach" in fast.user_message
    assert listener.accepted == called
    after = fast_failures()
    assert after == before + 1
    # The sweep's probes find it working again (as many as it takes to trust it).
    for _ in range(settings.BYOD_HEALTH_SUCCESSES_TO_HEALTHY):
        claim = uuid.uuid4().hex
        Connection.objects.filter(pk=connection.pk).update(check_claim=claim)
        meta = {"schemaVersion": 3, "packageHash": connection.deployed_package_hash}
        probe = Probe(connection.pk, timezone.now(), 5, meta=meta)
        record_probes(claim, [probe])
    connection.refresh_from_db()
    assert connection.health == Health.HEALTHY
    assert failure(lambda: store_for(owner).notes.get("abc")).category == UNREACHABLE
    assert listener.accepted > called


def test_a_burst_of_failures_writes_a_bounded_number_of_rows(
    owner: User, settings: Any, listener: Listener
) -> None:
    settings.BYOD_DATA_HEALTH_GAP_SECONDS = 3600
    connection = content_in(owner, listener.url)
    for _ in range(5):
        assert failure(lambda: store_for(owner).notes.get("abc")).category == UNREACHABLE
    connection.refresh_from_db()
    assert (connection.health, connection.consecutive_failures) == (Health.DEGRADED, 1)


def test_an_operation_id_of_the_wrong_shape_is_refused_before_any_call(
    owner: User, listener: Listener
) -> None:
    content_in(owner, listener.url)
    notes = store_for(owner).notes
    for bad in ["short", "x" * 81, "spaces are not allowed", "ünïcode-op-id"]:
        error = failure(lambda bad=bad: notes.insert(NOTE, op_id=bad))  # type: ignore[arg-type,misc]
        assert error.category == INVALID_ARGUMENT
    assert listener.accepted == 0


def test_an_answer_of_another_owners_document_is_a_protocol_error(
    owner: User, listener: Listener
) -> None:
    content_in(owner, listener.url)
    notes = store_for(owner).notes
    mine = {"_id": "n1", "_creationTime": 1.0, "userId": str(owner.external_id), **NOTE}
    assert notes.document(mine)["_id"] == "n1"
    theirs = {**mine, "userId": "someone-else"}
    assert failure(lambda: notes.document(theirs)).category == PROTOCOL_ERROR


def test_a_failure_about_the_content_does_not_count_toward_health(owner: User) -> None:
    connection = content_in(owner, "https://own-seven.convex.cloud")
    error = DataError(NOT_FOUND, "not the owner's")
    assert not breaker.request_failed(connection, error)
    connection.refresh_from_db()
    assert connection.health == Health.UNKNOWN and connection.consecutive_failures == 0
