"""Writing a snapshot ZIP, the format `npx convex import <file>.zip` takes (and `npx convex export`
writes): a folder per table holding `documents.jsonl`, one document a line with its `_id` and
`_creationTime` (a snapshot import keeps both, so references between the tables stay right).

Written page by page straight into the ZIP's deflated entry on disk: memory holds one page, never
the whole content. The file is written under a temporary name and renamed once complete, so a
half-written ZIP is never served.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

README = """This is a snapshot of your content, in the format of Convex's snapshot exports.

Import it into a Convex deployment of your own with the Convex CLI, for example:

    npx convex import --url <deployment url> --admin-key <admin key> {name}

Each folder is a table; its documents.jsonl holds one document a line, with the ids they had
(references between documents keep pointing at the right ones). Files' contents (blobs) are not
part of it.

Convex keeps the ids by giving each table the number its ids carry. If the import says that
number is taken by another table of the deployment, import into a deployment that holds nothing
else with --replace-all.
"""

Pages = Callable[[str], Iterable[list[dict[str, Any]]]]


class SnapshotWriter:
    """A snapshot ZIP being written at `path` (under `path`.part until `close`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(
            self.partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        )
        self.counts: dict[str, int] = {}

    def table(self, name: str, pages: Iterable[list[dict[str, Any]]]) -> int:
        """Writes `name`/documents.jsonl from `pages` (lists of documents); how many."""
        written = 0
        with self._zip.open(f"{name}/documents.jsonl", "w", force_zip64=True) as out:
            for page in pages:
                written += _write_lines(out, page)
        self.counts[name] = written
        return written

    def close(self) -> int:
        """Finishes the ZIP and puts it in place; its size in bytes."""
        self._zip.writestr("README.md", README.format(name=self.path.name))
        self._zip.close()
        os.replace(self.partial, self.path)
        return self.path.stat().st_size

    def abandon(self) -> None:
        """Drops the partial file (a failed build)."""
        try:
            self._zip.close()
        except (OSError, ValueError, zipfile.BadZipFile):
            pass
        self.partial.unlink(missing_ok=True)


def _write_lines(out: IO[bytes], docs: list[dict[str, Any]]) -> int:
    for doc in docs:
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        out.write(line.encode() + b"\n")
    return len(docs)
