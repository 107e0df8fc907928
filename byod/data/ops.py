"""Operation ids and retries: what makes a call of the data plane safe to repeat.

**Queries** are retried when the deployment said "not now" (429: every slot busy; 503:
overloaded or two writes met) or the connection failed before an answer (unreachable), a
few times with jittered backoff, never past the unit of work's deadline. A timeout is not
retried: the deployment already had the whole call's time.

**Mutations** are not deduplicated by Convex over HTTP: a lost answer may hide a committed
write. Each logical write gets an operation id (`new_op_id`, a uuid4 in hex) and every try of
it sends the same one; the data function stores its result under that id and answers a repeat
with the stored result, writing nothing (`byodOperations`). So a mutation is retried as a query
is, and with its id also after its answer was lost (the connection dropped after sending).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable

from byod.data.errors import DataError
from byod.errors import INVALID_ARGUMENT, OVERLOADED, TOO_MANY_REQUESTS, UNREACHABLE, ConvexError

RETRIED = frozenset({TOO_MANY_REQUESTS, OVERLOADED, UNREACHABLE})
ATTEMPTS = 3
FIRST_WAIT = 0.05  # seconds; doubled each try, jittered
LONGEST_WAIT = 1.0  # a 429's Retry-After beyond this is not waited for in a request
OP_ID_LENGTH = 80
_OP_ID = re.compile(r"[A-Za-z0-9._-]+")


def new_op_id() -> str:
    """The id of one logical write, reused by each of its tries."""
    return uuid.uuid4().hex


def op_id_of(given: str | None) -> str:
    """`given` (a caller's operation id, e.g. a form's hidden field) when it is one, else a new
    one. A caller's id is 8 to 80 characters of letters, digits, '.', '_' and '-': it is stored
    in the deployment as the key of the write's result."""
    if given is None:
        return new_op_id()
    if not (isinstance(given, str) and 8 <= len(given) <= OP_ID_LENGTH and _OP_ID.fullmatch(given)):
        raise DataError(INVALID_ARGUMENT, "an operation id is 8 to 80 of [A-Za-z0-9._-]")
    return given


def with_retries[T](
    attempt: Callable[[], T],
    *,
    deadline: float | None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`attempt()`, tried again (up to ATTEMPTS times) after a failure waiting can heal, while
    the wait ends before `deadline` (monotonic seconds; None: no deadline)."""
    for tried in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except ConvexError as error:
            if error.category not in RETRIED or tried == ATTEMPTS:
                raise
            wait = FIRST_WAIT * 2 ** (tried - 1)
            if error.retry_after is not None:
                if error.retry_after > LONGEST_WAIT:
                    raise
                wait = max(wait, error.retry_after)
            wait *= random.uniform(0.5, 1.5)  # noqa: S311 (jitter)
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
