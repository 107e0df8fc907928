"""Users read plain sentences: no setting names, scripts or codes in what the page tells them;
operators keep the codes in the admin."""

from __future__ import annotations

import re

import pytest

from byod.errors import CATEGORIES
from byod.models import DeployPhase, EventKind
from byod.views import words

OPERATOR_WORDS = re.compile(r"BYOD_|DJANGO_|\.sh\b|manage\.py|[a-z]+_[a-z_]+")


def user_sentences() -> list[str]:
    return [
        *words.PHASES.values(),
        *(c.title for c in CATEGORIES.values()),
        *words.EVENTS.values(),
        *words.FOUND_BY_DEPLOY.values(),
        *(c.message for c in CATEGORIES.values()),
        *(words.count_failure(code) for code in [*CATEGORIES, "unknown"]),
        *(words.move_failure(code) for code in [*CATEGORIES, "unknown"]),
        *words.MOVE_WHAT.values(),
        *words.MOVE_DONE.values(),
        words.SWITCH_WHAT,
        words.SWITCH_DONE,
    ]


@pytest.mark.parametrize("sentence", user_sentences())
def test_it_never_names_a_setting_a_script_or_a_code(sentence: str) -> None:
    assert not OPERATOR_WORDS.search(sentence), sentence


def test_every_category_has_a_title_in_plain_words() -> None:
    assert all(words.error_title(code) == c.title != "" for code, c in CATEGORIES.items())


def test_a_category_code_stored_before_a_rename_still_reads_as_what_it_became() -> None:
    assert words.error_title("rate_limited") == CATEGORIES["too_many_requests"].title
    assert words.error_title("gone_since_long") == "Something went wrong"


def test_it_turns_every_phase_the_worker_records_into_words() -> None:
    for phase in DeployPhase:
        assert words.phase_words(phase) != "Working", phase
    assert set(words.PHASES) == {"", *DeployPhase}
    assert words.phase_words("something new") == "Working"


def test_every_event_kind_shown_to_users_has_a_sentence() -> None:
    assert set(words.SHOWN_EVENTS) <= set(EventKind)
    for kind in words.SHOWN_EVENTS:
        assert words.event_sentence(kind), kind


def test_dashboard_paths_are_written_one_way() -> None:
    for sentence in user_sentences():
        assert "Settings >" not in sentence and "URL & deploy key" not in sentence
