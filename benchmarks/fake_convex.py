"""A cheap stand-in for many Convex deployments, for `scripts/bench data`: one process, one
asyncio loop, listening on N ports (one "deployment" each), answering the function API with a
canned page of D documents after an optional latency, plus ports that accept a connection and
never answer (a dead deployment).

    python -m benchmarks.fake_convex --ports 1000 --dead 1 --documents 20 --latency-ms 0

It prints one JSON line, `{"ports": [...], "dead": [...], "control": port}`, then serves until
its stdin closes. `GET /counts` on the control port answers `{port: [requests, functions]}`
and `DELETE /counts` resets them. It runs in its own process so that the benchmark's
`time.process_time` counts our client's CPU only, never the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

# The documents are the caller's: the data plane refuses an answer holding another owner's.
OWNER = "@@OWNER@@"


def page_value(documents: int, title_length: int) -> dict[str, Any]:
    title = ("a conversation about the data plane " * (title_length // 36 + 1))[:title_length]
    docs = [
        {
            "_id": f"k{n:031d}",
            "_creationTime": 1_765_000_000_000.5 + n,
            "userId": OWNER,
            "title": title,
            "isArchived": False,
            "isPinned": n % 5 == 0,
            "lastMessageAt": 1_765_000_000_000 + n * 1000,
            "createdAt": 1_765_000_000_000,
            "updatedAt": 1_765_000_000_000 + n,
        }
        for n in range(documents)
    ]
    return {"page": docs, "isDone": False, "continueCursor": "c" * 40}


class Server:
    def __init__(self, documents: int, title_length: int, latency_s: float) -> None:
        value = page_value(documents, title_length)
        self.one = json.dumps({"status": "success", "value": value, "logLines": []})
        first = value["page"][0] if value["page"] else None
        self.doc = json.dumps({"status": "success", "value": first, "logLines": []})
        self.latency_s = latency_s
        self.counts: dict[int, list[int]] = {}

    def answer(self, path: str, body: bytes, port: int) -> bytes:
        counted = self.counts.setdefault(port, [0, 0])
        counted[0] += 1
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            sent = {}
        if path == "/api/query_batch":
            queries = sent.get("queries", [])
            counted[1] += len(queries)
            answers = [self._answer(q) for q in queries]
            return ('{"results": [' + ", ".join(answers) + "]}").encode()
        counted[1] += 1
        return self._answer(sent).encode()

    def _answer(self, call: Any) -> str:
        """A `get` answers one document, anything else the page; both the caller's."""
        path = call.get("path") if isinstance(call, dict) else None
        canned = self.doc if isinstance(path, str) and path.endswith(":get") else self.one
        return canned.replace(OWNER, _owner(call))

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _, path, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                payload = self.answer(path.split("?", 1)[0], body, port)
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method = head.split(b" ", 1)[0]
                if method == b"DELETE":
                    self.counts.clear()
                payload = json.dumps(self.counts).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _owner(call: object) -> str:
    args = call.get("args") if isinstance(call, dict) else None
    owner = args.get("owner") if isinstance(args, dict) else None
    return owner if isinstance(owner, str) and owner.replace("-", "").isalnum() else "nobody"


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A deployment that accepts connections and never answers."""
    try:
        while await reader.read(65536):
            pass
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(options: argparse.Namespace) -> None:
    server = Server(options.documents, options.title_length, options.latency_ms / 1000)
    live = [
        await asyncio.start_server(server.serve, "127.0.0.1", 0, backlog=512)
        for _ in range(options.ports)
    ]
    dead = [await asyncio.start_server(never_answer, "127.0.0.1", 0) for _ in range(options.dead)]
    control = await asyncio.start_server(server.control, "127.0.0.1", 0)
    started = {
        "ports": [s.sockets[0].getsockname()[1] for s in live],
        "dead": [s.sockets[0].getsockname()[1] for s in dead],
        "control": control.sockets[0].getsockname()[1],
    }
    print(json.dumps(started), flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin (it exited or is done with us).
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ports", type=int, default=1)
    parser.add_argument("--dead", type=int, default=0)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--title-length", type=int, default=80)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
