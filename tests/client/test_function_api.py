"""The function API against the emulator running the fixture project (convex/notes.ts):
values in Convex's encoded JSON, several queries in one round trip, function errors by kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from byod.client import ConvexClient
from byod.client.function_api import FORMAT
from byod.errors import ConvexError
from byod.inputs import parse_url
from tests.emulator.convex_cli import push, push_request
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_emulator_hosts")]


@pytest.fixture
def notes(convex_deployment: EmulatorDeployment) -> EmulatorDeployment:
    """A deployment running the fixture project (a `notes` table and its functions)."""
    with httpx.Client(timeout=60) as http:
        done = push(http, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert done["finish"] is not None and done["finish"].status_code == 200
    return convex_deployment


@pytest.fixture
def client(notes: EmulatorDeployment) -> Iterator[ConvexClient]:
    with ConvexClient(parse_url(notes.url), notes.admin_key) as made:
        yield made


def test_it_runs_queries_mutations_and_actions(client: ConvexClient) -> None:
    note_id = client.mutation("notes:add", {"title": "hello"})
    found = client.query("notes:byTitle", {"title": "hello"})
    assert [n["_id"] for n in found] == [note_id]
    int64 = {"$integer": "AQAAAAAAAAA="}
    assert client.action("notes:echo", {"value": {"n": int64}}) == {"n": int64}  # lossless


def test_it_always_sends_the_lossless_format(
    client: ConvexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    real = ConvexClient._call

    def spy(self: ConvexClient, method: str, path: str, **kwargs: Any) -> Any:
        sent.append(kwargs["json_body"])
        return real(self, method, path, **kwargs)

    monkeypatch.setattr(ConvexClient, "_call", spy)
    client.query("notes:count")
    client.query_batch([("notes:count", None)])
    assert sent[0]["format"] == FORMAT == "convex_encoded_json"
    assert [q["format"] for q in sent[1]["queries"]] == [FORMAT]


def test_a_batch_reads_several_queries_and_keeps_each_error_in_its_result(
    client: ConvexClient, notes: EmulatorDeployment
) -> None:
    notes.insert_many("notes", [{"title": "a", "pinned": False}, {"title": "a", "pinned": True}])
    results = client.query_batch(
        [("notes:count", {}), ("notes:byTitle", {"title": "a"}), ("notes:missing", {})]
    )
    assert [r.ok for r in results] == [True, True, False]
    assert results[0].value == 2
    assert len(results[1].value) == 2
    assert results[2].error is not None and results[2].error.category == "protocol_error"


def test_a_429_fails_the_whole_batch(client: ConvexClient, notes: EmulatorDeployment) -> None:
    notes.set_fault(
        "query_batch",
        status=429,
        body={"code": "TooManyConcurrentRequests", "message": "Too many concurrent requests"},
    )
    with pytest.raises(ConvexError) as caught:
        client.query_batch([("notes:count", {})])
    assert (caught.value.category, caught.value.retryable) == ("too_many_requests", True)


def test_a_convex_error_thrown_by_a_function_carries_its_data(client: ConvexClient) -> None:
    with pytest.raises(ConvexError) as caught:
        client.mutation("notes:fail")
    assert caught.value.category == "refused_by_function"
    assert caught.value.data == {"kind": "refused"}
    assert caught.value.code is None


@pytest.mark.parametrize("status", [200, 560])
def test_a_not_found_code_is_not_found(
    client: ConvexClient, notes: EmulatorDeployment, status: int
) -> None:
    notes.set_fault(
        "query",
        status=status,
        body={
            "status": "error",
            "errorMessage": "Uncaught ConvexError: no such note",
            "errorData": {"code": "NotFound", "message": "no such note", "id": "abc"},
        },
    )
    with pytest.raises(ConvexError) as caught:
        client.query("notes:byTitle", {"title": "x"})
    error = caught.value
    assert (error.category, error.code, error.retryable) == ("not_found", "NotFound", False)
    assert error.data == {"code": "NotFound", "message": "no such note", "id": "abc"}


def test_a_write_conflict_is_overloaded_and_retryable(
    client: ConvexClient, notes: EmulatorDeployment
) -> None:
    notes.set_fault(
        "mutation",
        status=503,
        body={"code": "OptimisticConcurrencyControlFailure", "message": "Data read changed"},
    )
    with pytest.raises(ConvexError) as caught:
        client.mutation("notes:add", {"title": "x"})
    assert (caught.value.category, caught.value.retryable) == ("overloaded", True)


def test_the_key_echoed_in_a_successful_answer_is_taken_out(
    client: ConvexClient, notes: EmulatorDeployment
) -> None:
    echoed = client.action("notes:echo", {"value": {"said": f"your key is {notes.admin_key}"}})
    assert notes.admin_key.split("|", 1)[1] not in str(echoed)
    assert "[redacted]" in echoed["said"]
