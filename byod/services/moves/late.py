"""Whether a table's copy left references for the second pass (fixReferences).

An import maps each reference through the destination's id map; one whose target is not copied
yet (a self reference such as messages.parentMessageId pointing at a later message, or a
reference closing a loop of tables) is left out and set later by fixReferences, which reads
every id-map row of the table. Most of the time there is none: pages come in creation order, a
reply after the message it answers, and a document's target earlier in the same batch is
already mapped (an import writes its documents in order). So the job watches the batches it
writes: a table's fix pass is needed only when a late reference pointed at a document not
written before it in this attempt. A copy resumed midway (what an earlier attempt wrote is not
known here) always runs the fix pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class LateReferences:
    """Watches one table's batches, in the order they are written."""

    def __init__(self, table: str, fields: Mapping[str, str], *, resumed: bool) -> None:
        self.table = table
        self.fields = dict(fields)  # field -> target table (`late_references`)
        self.pending = bool(self.fields) and resumed
        self._written: set[str] = set()  # ids of the table written so far, while it matters

    def add(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Notes a batch just written (as read from the source)."""
        if self.pending or not self.fields:
            return
        for doc in docs:
            for field, target in self.fields.items():
                value = doc.get(field)
                if value is None:
                    continue
                if target != self.table or value not in self._written:
                    self.pending = True
                    self._written.clear()  # not needed any more
                    return
            self._written.add(str(doc.get("_id")))
