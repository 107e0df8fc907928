"""Benchmark: moving one user's content through the real job (`byod.services.moves.run`),
between two emulated deployments running the current package, each in its own emulator
process (two deployments are two servers: one's work does not wait for the other's).

    scripts/bench move [--messages 10000] [--latency-ms 50] [--batch 1000]
                       [--memory-documents 20000] [--other-messages 1000] [--runs 1]

SQLite (a temporary file). The user's content on the main deployment: conversations of 20
messages (each a reply to the one before), a tool call on every other message and a source on
every third; another user's content beside it (never moved). Every call to either deployment
waits `--latency-ms` first (the emulator's `latency_ms` fault on every endpoint).

Prints, for the move in (main -> own; verification, the destination read back and its
digests, included): the wall time against the target <= 10 s, and against the bound
documents / (batch x parallel batches / (latency + server time)), with server time the
emulators' CPU per function request; the requests made and what one request after another
costs at that latency; the CPU each emulator and the job spent; the time of each of the
job's phases (the source is counted while the copy goes on).
Then bring back (own -> main) and delete (own) of the same, in documents/s. With `--runs N`,
all of that N times on fresh deployments, then the best, median and worst move in (a VM's
speed varies from one minute to the next). Then, without latency, the resident memory
growth of this process (sampled every 20 ms) while moving `--memory-documents` documents in
(target <= 50 MB for 100,000; 0 skips it). The default is 20,000, which takes seconds;
`--memory-documents 100000` takes about a minute.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import process_cpu, throwaway_django

PER_CONVERSATION = 20
DOCS_PER_MESSAGE = 1 / PER_CONVERSATION + 1 + 1 / 2 + 1 / 3  # conversation, message, children
INSERT_CHUNK = 5000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench move", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1000, help="BYOD_MOVE_BATCH_SIZE (<= 1000)")
    parser.add_argument("--memory-documents", type=int, default=20_000, help="0: skip")
    parser.add_argument("--other-messages", type=int, default=1000, help="another user's")
    parser.add_argument("--runs", type=int, default=1, help="timed runs (a VM's speed varies)")
    options = parser.parse_args(argv)
    if options.messages < PER_CONVERSATION or options.latency_ms < 0:
        parser.error(f"--messages >= {PER_CONVERSATION}, --latency-ms >= 0")
    if not 1 <= options.batch <= 1000 or options.memory_documents < 0 or options.runs < 1:
        parser.error("--batch is 1 to 1000, --memory-documents >= 0, --runs >= 1")
    os.environ["BYOD_MOVES_ENABLED"] = "1"
    os.environ["BYOD_MOVE_SETTLE_SECONDS"] = "0"
    os.environ["BYOD_MOVE_RETRY_SECONDS"] = "0.05"
    os.environ["BYOD_MOVE_BATCH_SIZE"] = str(options.batch)
    with throwaway_django():
        from tests.fixtures.emulator import start_emulator

        print("Starting two emulators (the main deployment's, the user's) ...")
        emulators = (start_emulator(), start_emulator())
        try:
            walls = [timed_moves(emulators, options, run) for run in range(1, options.runs + 1)]
            if len(walls) > 1:
                print(
                    f"Move in over {len(walls)} runs: {min(walls):.2f} s best, "
                    f"{statistics.median(walls):.2f} s median, {max(walls):.2f} s worst "
                    "(target <= 10 s)"
                )
            if options.memory_documents:
                memory(emulators, options)
        finally:
            for emulator in emulators:
                emulator.stop()


@dataclass
class Pair:
    """A user, the main deployment and the user's own one, both connected."""

    user: Any
    main: Any
    own: Any


def make_pair(emulators: tuple[Any, Any], tag: str) -> Pair:
    import httpx

    from accounts.models import User
    from byod import builds
    from byod.models import Connection
    from byod.package.version import CURRENT_VERSION
    from tests.emulator.convex_cli import push
    from tests.fixtures.connections import make_connection

    deployments = []
    for side, emulator in zip(("main", "own"), emulators, strict=True):
        dep = emulator.create_deployment(f"bench-{tag}-{side}", backfill_ms=0)
        with httpx.Client(timeout=120) as http:
            outcome = push(http, dep.url, dep.admin_key, builds.load_artifact(CURRENT_VERSION))
        assert outcome["statuses"][-1] == {"type": "complete"}, outcome
        deployments.append(dep)
    main, own = deployments
    # One main connection at a time: an earlier pair's (its deployments deleted) steps down.
    Connection.objects.filter(is_main=True).update(is_main=False)
    system = User.objects.create_user(username=f"system-{tag}", password=None)
    user = User.objects.create_user(username=f"user-{tag}", password=None)
    for owner, dep, is_main in [(system, main, True), (user, own, False)]:
        make_connection(
            owner,
            name=dep.name,
            key=dep.admin_key,
            url=dep.url,
            deployed_version=CURRENT_VERSION,
            is_main=is_main,
        )
    return Pair(user, main, own)


def seed(dep: Any, owner: str, messages: int) -> int:
    """The owner's content (see the module's doc); returns how many documents were written."""
    conversations = max(1, messages // PER_CONVERSATION)
    written = 0
    conv_ids: list[str] = []
    for start in range(0, conversations, INSERT_CHUNK):
        conv_ids += dep.insert_many(
            "conversations",
            [
                {
                    "userId": owner,
                    "title": f"c{c}",
                    "isArchived": False,
                    "isPinned": False,
                    "createdAt": 1.0,
                    "updatedAt": 1.0,
                    "lastMessageAt": 1.0,
                }
                for c in range(start, min(start + INSERT_CHUNK, conversations))
            ],
        )
    written += len(conv_ids)
    parents: list[str | None] = [None] * conversations
    n = 0
    for k in range(PER_CONVERSATION):
        ids: list[str] = []
        for start in range(0, conversations, INSERT_CHUNK):
            docs = []
            for c in range(start, min(start + INSERT_CHUNK, conversations)):
                doc: dict[str, Any] = {
                    "conversationId": conv_ids[c],
                    "userId": owner,
                    "role": "user",
                    "content": f"c{c} m{k} " + "x" * 200,
                    "createdAt": float(k),
                    "updatedAt": 1.0,
                }
                if parents[c] is not None:
                    doc["parentMessageId"] = parents[c]
                docs.append(doc)
            ids += dep.insert_many("messages", docs)
        parents = list(ids)
        calls, sources = [], []
        for mid in ids:
            if n % 2 == 0:
                calls.append(
                    {
                        "messageId": mid,
                        "toolName": f"t{n}",
                        "toolArgs": {"q": n},
                        "status": "complete",
                        "createdAt": 1.0,
                    }
                )
            if n % 3 == 0:
                sources.append(
                    {"messageId": mid, "url": f"https://example.com/{n}", "createdAt": 1.0}
                )
            n += 1
        for table, docs in (("toolCalls", calls), ("sources", sources)):
            for start in range(0, len(docs), INSERT_CHUNK):
                dep.insert_many(table, docs[start : start + INSERT_CHUNK])
        written += len(ids) + len(calls) + len(sources)
    return written


def run_to_the_end(move: Any) -> Any:
    from byod.models import Move
    from byod.services.moves.run import run_move

    for _ in range(100):
        run_move(move.pk)
        move.refresh_from_db()
        if move.is_finished:
            return move
        Move.objects.filter(pk=move.pk).update(next_attempt_at=None)
    raise RuntimeError(f"move {move.pk} did not end: {move.status} {move.error_message}")


def move(user: Any, direction: str) -> tuple[float, Any]:
    from byod.models import MoveStatus
    from byod.services.moves import control

    start = time.monotonic()
    done = run_to_the_end(control.request_move(user, direction, actor=user))
    wall = time.monotonic() - start
    if done.status != MoveStatus.DONE:
        raise RuntimeError(f"{direction}: {done.status} {done.error_message}")
    return wall, done


def owned_count(dep: Any, owner: str) -> int:
    messages = {d["_id"] for d in dep.documents("messages") if d["userId"] == owner}
    own = len(messages) + sum(1 for d in dep.documents("conversations") if d["userId"] == owner)
    for table in ("toolCalls", "sources"):
        own += sum(1 for d in dep.documents(table) if d["messageId"] in messages)
    return own


@contextmanager
def timed_phases() -> Iterator[dict[str, float]]:
    """Wall time spent in each of the job's phases (`Phases._copy` ...), summed over attempts."""
    from byod.services.moves.phases import Phases

    spent: dict[str, float] = {}
    names = {"_freeze": "preflight", "_clear": "clear", "_copy": "copy (counting beside)",
             "_fix": "fix", "_verify": "verify"}  # fmt: skip
    originals = {name: getattr(Phases, name) for name in names}

    def timed(name: str, original: Callable[..., None]) -> Callable[..., None]:
        def run(*args: Any, **kwargs: Any) -> None:
            start = time.monotonic()
            try:
                original(*args, **kwargs)
            finally:
                spent[names[name]] = spent.get(names[name], 0.0) + time.monotonic() - start

        return run

    for name, original in originals.items():
        setattr(Phases, name, timed(name, original))
    try:
        yield spent
    finally:
        for name, original in originals.items():
            setattr(Phases, name, original)


def requests(*deps: Any) -> int:
    return sum(int(d.calls()["requests"]) for d in deps)


def timed_moves(emulators: tuple[Any, Any], options: argparse.Namespace, run: int) -> float:
    """Move in, bring back and delete one user's content (fresh deployments); returns the move
    in's wall time."""
    from byod.models import MoveDirection

    pair = make_pair(emulators, f"timed-{run}")
    owner = str(pair.user.external_id)
    start = time.monotonic()
    documents = seed(pair.main, owner, options.messages)
    seed(pair.main, "someone-else", options.other_messages)
    print(
        f"Seeded {documents} documents ({options.messages} messages, their conversations, tool "
        f"calls and sources) and {options.other_messages} messages of another user "
        f"in {time.monotonic() - start:.1f} s"
    )
    latency = options.latency_ms / 1000
    for dep in (pair.main, pair.own):
        if latency:
            dep.set_fault("*", latency_ms=options.latency_ms)
        dep.reset_calls()
    cpu = [process_cpu(emulator.process.pid) for emulator in emulators]
    job_cpu = time.process_time()
    with timed_phases() as phases:
        wall, _ = move(pair.user, MoveDirection.IN)
    timed = wall
    job_cpu = time.process_time() - job_cpu
    source_cpu, destination_cpu = (
        process_cpu(emulator.process.pid) - before
        for emulator, before in zip(emulators, cpu, strict=True)
    )
    server_cpu = source_cpu + destination_cpu
    made = requests(pair.main, pair.own)
    per_request = server_cpu / max(made, 1)
    parallel = 1  # the engine sends one batch (one request) at a time
    bound = documents / (options.batch * parallel / (latency + per_request))
    print(
        f"Move in, {documents} documents, batch {options.batch}, {options.latency_ms} ms per call:"
    )
    print(f"  {wall:.2f} s including verification (target <= 10 s): {documents / wall:.0f} docs/s")
    print(
        f"  bound documents / (batch x {parallel} / (latency + server {per_request * 1000:.1f} ms)"
        f") = {bound:.2f} s; wall / bound {wall / bound:.1f}x"
    )
    print(
        f"  {made} requests, one after another: {made * latency:.2f} s of latency alone, "
        f"{server_cpu:.2f} s CPU of the two emulators"
    )
    print(
        f"  CPU: source's emulator {source_cpu:.2f} s, destination's {destination_cpu:.2f} s, "
        f"the job (this process) {job_cpu:.2f} s"
    )
    print("  phases: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()))
    assert owned_count(pair.own, owner) == documents, "own deployment is missing documents"
    for label, direction, where in [
        ("Bring back", MoveDirection.BACK, pair.main),
        ("Delete", MoveDirection.DELETE, None),
    ]:
        if direction == MoveDirection.DELETE:
            # Delete removes the content where it is: move it to the own deployment first.
            move(pair.user, MoveDirection.IN)
        for dep in (pair.main, pair.own):
            dep.reset_calls()
        wall, _ = move(pair.user, direction)
        made = requests(pair.main, pair.own)
        print(f"{label}, {documents} documents: {wall:.2f} s, {documents / wall:.0f} docs/s, "
              f"{made} requests")  # fmt: skip
        if where is not None:  # back: the own deployment keeps its copy (the user's)
            assert owned_count(where, owner) == documents
        else:
            assert owned_count(pair.own, owner) == 0
    for dep, emulator in zip((pair.main, pair.own), emulators, strict=True):
        emulator.delete_deployment(dep.name)
    return timed


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def memory(emulators: tuple[Any, Any], options: argparse.Namespace) -> None:
    from byod.models import MoveDirection

    pair = make_pair(emulators, "memory")
    owner = str(pair.user.external_id)
    messages = math.ceil(options.memory_documents / DOCS_PER_MESSAGE)
    documents = seed(pair.main, owner, messages)
    import gc

    gc.collect()
    before = rss_bytes()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes())
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wall, _ = move(pair.user, MoveDirection.IN)
    finally:
        stop.set()
        sampler.join()
    after = rss_bytes()
    mb = 1024 * 1024
    print(f"Memory, move in of {documents} documents (no latency, {wall:.1f} s, "
          f"{documents / wall:.0f} docs/s):")  # fmt: skip
    print(f"  resident memory of this process: {before / mb:.1f} MB before, peak growth "
          f"{(peak[0] - before) / mb:.1f} MB (target <= 50 MB), {(after - before) / mb:.1f} MB "
          "after")  # fmt: skip
    assert owned_count(pair.own, owner) == documents


if __name__ == "__main__":
    main()
