"""Retries: what waiting can heal is tried again within the deadline; nothing else is."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from byod.data import ops
from byod.errors import (
    NOT_FOUND,
    OVERLOADED,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    UNREACHABLE,
    ConvexError,
)


def failing(*categories: str, retry_after: float | None = None) -> Callable[[], str]:
    """An attempt failing with each category in turn, then answering "ok"."""
    left = list(categories)

    def attempt() -> str:
        if left:
            raise ConvexError(left.pop(0), "test", retry_after=retry_after)
        return "ok"

    return attempt


def no_sleep(waits: list[float]) -> Callable[[float], None]:
    return waits.append


@pytest.mark.parametrize("category", [TOO_MANY_REQUESTS, OVERLOADED, UNREACHABLE])
def test_what_waiting_can_heal_is_tried_again(category: str) -> None:
    waits: list[float] = []
    assert (
        ops.with_retries(failing(category, category), deadline=None, sleep=no_sleep(waits)) == "ok"
    )
    assert len(waits) == 2 and waits[0] < waits[1] * 2  # backing off, jittered


@pytest.mark.parametrize("category", [TIMEOUT, NOT_FOUND])
def test_a_timeout_or_an_answer_is_not_tried_again(category: str) -> None:
    waits: list[float] = []
    with pytest.raises(ConvexError):
        ops.with_retries(failing(category), deadline=None, sleep=no_sleep(waits))
    assert waits == []


def test_it_gives_up_after_its_attempts() -> None:
    with pytest.raises(ConvexError):
        ops.with_retries(failing(*[OVERLOADED] * ops.ATTEMPTS), deadline=None, sleep=no_sleep([]))


def test_it_never_waits_past_the_deadline_nor_a_long_retry_after() -> None:
    with pytest.raises(ConvexError):
        ops.with_retries(failing(OVERLOADED), deadline=time.monotonic(), sleep=no_sleep([]))
    waits: list[float] = []
    with pytest.raises(ConvexError):
        ops.with_retries(
            failing(TOO_MANY_REQUESTS, retry_after=30), deadline=None, sleep=no_sleep(waits)
        )
    assert waits == []


def test_operation_ids_are_new_or_the_callers() -> None:
    assert ops.op_id_of(None) != ops.op_id_of(None)
    assert ops.op_id_of("form-1234.a_b") == "form-1234.a_b"
