"""Benchmark: our CPU per Convex call for a page of documents, against the emulator.

    scripts/bench client [--calls 1000] [--documents 20] [--title-length 400]

Pushes the emulator's fixture project (a `notes` table), inserts D notes, then reads them with
`notes:byTitle` C times and prints the CPU this process spent per call (`time.process_time`:
encoding the arguments, the call through the pooled transport with its deadline, reading the
answer under its cap, parsing, the key scrub, the metrics), three ways: one client for all
calls, a new client per call (as a web request would make one), and a batch of one query. The
emulator's CPU is another process's and is not counted.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.harness import throwaway_django


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench client", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--title-length", type=int, default=400)
    options = parser.parse_args(argv)
    if options.calls < 1 or options.documents < 1 or options.title_length < 1:
        parser.error("--calls, --documents and --title-length must be >= 1")
    with throwaway_django():
        bench(options.calls, options.documents, options.title_length)


def bench(calls: int, documents: int, title_length: int) -> None:
    import httpx

    from byod.clients import Purpose, client_for_credentials
    from tests.emulator.convex_cli import push, push_request
    from tests.fixtures.emulator import start_emulator

    emulator = start_emulator()
    try:
        dep = emulator.create_deployment()
        with httpx.Client(timeout=120) as http:
            push(http, dep.url, dep.admin_key, push_request())
        title = ("a page of notes " * (title_length // 16 + 1))[:title_length]
        dep.insert_many("notes", [{"title": title, "pinned": i % 2 == 0} for i in range(documents)])
        args = {"title": title}

        with client_for_credentials(dep.url, dep.admin_key, purpose=Purpose.DATA_WEB) as client:
            page = client.query("notes:byTitle", args)
            assert len(page) == documents, len(page)
            size = len(str(page))
            for _ in range(50):  # warm up
                client.query("notes:byTitle", args)
            one = _timed(calls, lambda: client.query("notes:byTitle", args))
            batch = _timed(calls, lambda: client.query_batch([("notes:byTitle", args)]))

        def fresh() -> None:
            with client_for_credentials(dep.url, dep.admin_key, purpose=Purpose.DATA_WEB) as made:
                made.query("notes:byTitle", args)

        each = _timed(calls, fresh)
        print(f"{documents} documents per answer (~{size / 1024:.1f} kB as Python text), "
              f"{calls} calls each:")  # fmt: skip
        for label, (cpu, wall) in [
            ("one client, query", one),
            ("one client, query_batch of 1", batch),
            ("a new client per call, query", each),
        ]:
            print(f"  {label:<30} CPU {cpu * 1000:.3f} ms/call, wall {wall * 1000:.2f} ms/call")
    finally:
        emulator.stop()


def _timed(calls: int, call: object) -> tuple[float, float]:
    assert callable(call)
    cpu, wall = time.process_time(), time.monotonic()
    for _ in range(calls):
        call()
    return (time.process_time() - cpu) / calls, (time.monotonic() - wall) / calls


if __name__ == "__main__":
    main()
