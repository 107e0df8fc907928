"""Queries served from kept sorted ranges (lib/sorted_ranges.mjs) answer as convex-test does.

fixtures/same_answers.mjs runs one script of reads and writes on a runtime over a plain store
(convex-test's own reading, filtering and sorting of every document) and on runtimes over a
deployment's documents (lookups and kept ranges: every range kept, or only the larger ones), and
prints the answers of each.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx
import pytest

from tests.fixtures.emulator import EMULATOR_DIR, EmulatorDeployment


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    result = subprocess.run(
        ["node", "fixtures/same_answers.mjs"],
        cwd=EMULATOR_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.mark.parametrize("run", ["served", "mixed"])
def test_it_answers_every_range_bound_order_and_page_as_convex_test_does(
    answers: dict[str, Any], run: str
) -> None:
    assert answers["kept"] > 0  # the served runtimes did keep ranges
    assert len(answers[run]) == len(answers["plain"])
    for step, (plain, served) in enumerate(zip(answers["plain"], answers[run], strict=True)):
        assert served == plain, f"step {step}"


def test_the_script_reads_documents_pages_and_refusals(answers: dict[str, Any]) -> None:
    reads = answers["plain"][1]["value"]  # owner "a": each range, asc then desc, 4 reads each
    assert reads[0] and reads[4] == reads[0][::-1]
    pages = [a["value"] for a in answers["plain"] if isinstance(a.get("value"), dict)]
    assert len(pages) >= 4 and any(page["page"] for page in pages)
    errors = [a["error"] for a in answers["plain"] if "error" in a]
    assert len(errors) == 3 and 'expected "owner", got "n"' in errors[0]


def test_a_transaction_sees_its_own_writes_in_ranges_read_before(
    answers: dict[str, Any],
) -> None:
    before, mid, after = answers["served"][5]["value"]
    n = [[doc.get("n") for doc in reads[0]] for reads in (before, mid, after)]  # owner "a"
    assert 2.25 not in n[0] and n[1].count(2) == n[0].count(2) + 1  # inserted, and patched in
    assert 2.25 in n[1] and n[2].count(2) == n[0].count(2)  # then the insert deleted
    equal_two = [[doc.get("n") for doc in reads[7 * 8]] for reads in (before, mid, after)]
    assert equal_two == [[2, 2], [2, 2, 2], [2, 2]]


def call(client: httpx.Client, dep: EmulatorDeployment, kind: str, path: str, args: Any) -> Any:
    body = {"path": path, "args": args, "format": "convex_encoded_json"}
    answer = client.post(f"{dep.url}/api/{kind}", json=body).json()
    assert answer["status"] == "success", answer
    return answer["value"]


def test_pages_of_a_kept_range_follow_writes_between_them(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    # More documents than a range needs to be kept (keepAbove, 32), so pages come from kept
    # sorted documents and start at their cursor by binary search.
    texts = [f"t{i}" for i in range(60)]
    call(client, data_deployed, "mutation", "data:addItems", {"owner": "a", "texts": texts})
    seen: list[float] = []
    cursor = None
    for turn in range(20):
        opts = {"numItems": 7, "cursor": cursor}
        result = call(
            client, data_deployed, "query", "data:page", {"owner": "a", "paginationOpts": opts}
        )
        seen += [doc["n"] for doc in result["page"]]
        cursor = result["continueCursor"]
        if turn == 2:  # n 0..2 again: ahead of the cursor (order desc), so read in turn
            call(
                client,
                data_deployed,
                "mutation",
                "data:addItems",
                {"owner": "a", "texts": ["x"] * 3},
            )
        if result["isDone"]:
            break
    assert seen == [*range(59, -1, -1)][:21] + sorted([*range(0, 39), 0, 1, 2], reverse=True)
