"""The content page while a move froze the content: writes refused with `moving`, and the
panel shows the settings page's progress line."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod import transitions
from byod.models import MovePhase
from tests.content_page.conftest import alice, as_alice, main_deployment, package_template
from tests.content_page.helpers import op_of, text_of
from tests.moves.helpers import make_move

__all__ = ["alice", "as_alice", "main_deployment", "package_template"]


def test_a_refused_write_says_the_content_is_moving_and_how_far(
    as_alice: Client, alice: User
) -> None:
    page = as_alice.get(reverse("content:index")).content.decode()
    op = op_of(page, "new-conversation")
    move = make_move(alice)
    transitions.move_running(move, worker="w-1")
    move.tables = {"messages": {"copied": 4200, "source_count": 10000}}
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
    transitions.move_frozen(move)
    answer = as_alice.post(reverse("content:create"), {"op": op, "title": "t", "content": "x"})
    html = text_of(answer)
    assert 'data-category="moving"' in html
    assert "writes wait until the move is done" in html
    assert "Moving your data: messages, 4,200 of 10,000" in html
    assert reverse("byod:settings") in html
