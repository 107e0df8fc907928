"""Pagination and search indexes in functions the emulator runs (convex-test's implementations)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.emulator import Emulator, EmulatorDeployment


def run(client: httpx.Client, dep: EmulatorDeployment, kind: str, path: str, args: Any) -> Any:
    body = {"path": path, "args": args, "format": "convex_encoded_json"}
    answer = client.post(f"{dep.url}/api/{kind}", json=body).json()
    assert answer["status"] == "success", answer
    return answer["value"]


def add(client: httpx.Client, dep: EmulatorDeployment, owner: str, texts: list[str]) -> None:
    run(client, dep, "mutation", "data:addItems", {"owner": owner, "texts": texts})


def page(
    client: httpx.Client, dep: EmulatorDeployment, owner: str, n: int, cursor: str | None
) -> Any:
    opts = {"numItems": n, "cursor": cursor}
    return run(client, dep, "query", "data:page", {"owner": owner, "paginationOpts": opts})


def test_paginate_walks_an_index_range_in_pages(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    add(client, data_deployed, "a", [f"text {i}" for i in range(25)])
    add(client, data_deployed, "b", ["other"] * 5)
    seen: list[float] = []
    cursor = None
    shapes = []
    while True:
        result = page(client, data_deployed, "a", 10, cursor)
        shapes.append((len(result["page"]), result["isDone"]))
        assert {d["owner"] for d in result["page"]} <= {"a"}
        seen += [d["n"] for d in result["page"]]
        cursor = result["continueCursor"]
        assert isinstance(cursor, str)
        if result["isDone"]:
            break
    assert shapes == [(10, False), (10, False), (5, True)]
    assert seen == list(range(24, -1, -1))  # order("desc") on the index
    assert data_deployed.calls()["functions"]["query data:page"] == 3


def test_a_page_sees_documents_written_after_its_cursor_was_made(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    add(client, data_deployed, "a", ["one", "two"])
    first = page(client, data_deployed, "a", 1, None)
    assert [d["text"] for d in first["page"]] == ["two"]
    rest = page(client, data_deployed, "a", 10, first["continueCursor"])
    assert [d["text"] for d in rest["page"]] == ["one"]
    assert rest["isDone"] is True


def test_search_matches_words_within_the_filter(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    add(client, data_deployed, "a", ["hello world", "help me", "goodbye"])
    add(client, data_deployed, "b", ["hello from b"])

    def search(owner: str, query: str) -> list[str]:
        hits = run(client, data_deployed, "query", "data:search", {"owner": owner, "query": query})
        return sorted(h["text"] for h in hits)

    assert search("a", "hello") == ["hello world"]
    assert search("a", "hel") == ["hello world", "help me"]  # the last word is a prefix
    assert search("b", "hello") == ["hello from b"]
    assert search("a", "nothing") == []


INVALID_CURSOR = {
    "status": "error",
    "errorMessage": "Uncaught ConvexError: InvalidCursor: Tried to run a query starting from a "
    "cursor, but it looks like this cursor is from a different query.",
    "errorData": {"isConvexSystemError": True, "paginationError": "InvalidCursor"},
}


def page_answer(
    client: httpx.Client, dep: EmulatorDeployment, owner: str, cursor: str | None
) -> Any:
    args = {"owner": owner, "paginationOpts": {"numItems": 1, "cursor": cursor}}
    body = {"path": "data:page", "args": args, "format": "json"}
    return client.post(f"{dep.url}/api/query", json=body).json()


def test_cursors_are_opaque_and_only_good_for_their_query_on_their_deployment(
    client: httpx.Client, convex_emulator: Emulator, data_deployed: EmulatorDeployment
) -> None:
    add(client, data_deployed, "a", ["one", "two", "three"])
    add(client, data_deployed, "b", ["other"])
    cursor = page(client, data_deployed, "a", 1, None)["continueCursor"]
    assert "two" not in cursor and "items" not in cursor and '"' not in cursor
    assert page_answer(client, data_deployed, "a", cursor)["status"] == "success"
    assert page_answer(client, data_deployed, "b", cursor) == INVALID_CURSOR  # another query
    assert page_answer(client, data_deployed, "a", cursor[:-2] + "xx") == INVALID_CURSOR
    assert page_answer(client, data_deployed, "a", "garbage") == INVALID_CURSOR
    copy = convex_emulator.create_deployment(copy_of=data_deployed.name)
    try:
        assert page_answer(client, copy, "a", cursor) == INVALID_CURSOR  # another deployment
        own = page(client, copy, "a", 1, None)["continueCursor"]
        assert page_answer(client, copy, "a", own)["status"] == "success"
    finally:
        convex_emulator.delete_deployment(copy.name)
