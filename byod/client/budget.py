"""What one unit of work may spend on a deployment: the time of each call and of all of them,
and the size of an answer.

Every call has an overall deadline, not only timeouts per read: a deployment that trickles one
byte every few seconds never lets a per-read timeout fire, so a call ends at its deadline
whatever the deployment does (the transport clamps each connect, write and read to the time
left). A unit of work (a check, a health probe, a count) also has a deadline over all its calls.
Each purpose has its own numbers, from settings (README, "Environment variables").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from enum import StrEnum

from byod.conf import conf

KIB = 1024
MIB = 1024 * KIB


class Purpose(StrEnum):
    """Why a client is made: decides its budget, and labels its calls' metrics."""

    CHECK = "check"  # "Check connection" and connecting: inside a web request
    DEPLOY = "deploy"  # a deploy's pushes and migrations, on a worker
    HEALTH = "health"  # one health probe, on a worker
    COUNT = "count"  # "Count documents", on a worker
    DATA_WEB = "data_web"  # the data plane inside a web request (a later issue)
    DATA_WORKER = "data_worker"  # the data plane on a worker: moves, exports (a later issue)


# The largest answer (decoded) each purpose reads; a larger one is `answer_too_large`. Admin
# answers are small (a push's start_push answer is ~40 kB; a schema a few); a function's value
# may be up to Convex's 16 MiB, in encoded JSON.
ANSWER_BYTES = {
    Purpose.CHECK: 4 * MIB,
    Purpose.DEPLOY: 4 * MIB,
    Purpose.HEALTH: 256 * KIB,
    Purpose.COUNT: 64 * KIB,
    Purpose.DATA_WEB: 20 * MIB,
    Purpose.DATA_WORKER: 20 * MIB,
}


@dataclass(frozen=True)
class Budget:
    """Seconds to connect, the longest silence while reading or writing, the deadline of one
    call, and of the whole unit of work (None: none); the largest answer, in bytes."""

    purpose: str
    connect: float
    read: float
    call: float
    total: float | None
    answer_bytes: int

    @classmethod
    def of(cls, purpose: Purpose) -> Budget:
        """The purpose's budget, read from settings now (tests may change them)."""
        limits = conf().calls.limits(purpose.value)
        return cls(
            purpose=purpose.value,
            connect=limits.connect,
            read=limits.read,
            call=limits.call,
            total=limits.total,
            answer_bytes=ANSWER_BYTES[purpose],
        )

    def within(self, seconds: float) -> Budget:
        """This budget with every time limited to `seconds` (a caller's own timeout)."""
        return replace(
            self,
            connect=min(self.connect, seconds),
            read=min(self.read, seconds),
            call=min(self.call, seconds),
        )


class Clock:
    """The deadlines of one unit of work: each call's is `call` seconds from its start, never
    past the unit's own (`total` seconds from the first call)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._unit_deadline: float | None = None

    def call_deadline(self) -> float:
        """The deadline of a call starting now (monotonic seconds); may already be past."""
        now = time.monotonic()
        if self._unit_deadline is None and self.budget.total is not None:
            self._unit_deadline = now + self.budget.total
        deadline = now + self.budget.call
        return deadline if self._unit_deadline is None else min(deadline, self._unit_deadline)
