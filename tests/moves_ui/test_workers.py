"""The page's actions, run by a real `db_worker` process.

Disconnect choices: bring back (the content in the main deployment, each document once, then
the key erased), then, once connected again, delete (none of the owner's documents left in
their deployment, the main copy untouched, then the key erased).

New credentials, "move it there": old -> main (verified), the new URL and key applied with that
flip, the new deployment's first deploy, then main -> new; the old deployment keeps its copy
and is never called again."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.waiting import wait_for
from tests.moves.conftest import (
    Content,
    assert_all_there_once,
    count_owned,
    deployment_with_package,
    seed,
)
from tests.moves.test_workers import connected_sandbox

IN_OWN = """
from django.utils import timezone
from accounts.models import User
from byod.models import Connection, ContentLocation
owner = User.objects.get(username="owner")
ContentLocation.objects.create(
    user=owner, connection=Connection.objects.get(user=owner), kind="own",
    changed_at=timezone.now(),
)
result = True
"""

# What the settings page's disconnect form posts, through the whole Django stack.
POST = """
import os
from django.test import Client
from accounts.models import User
from byod.models import Move
client = Client()
client.force_login(User.objects.get(username="owner"))
fields = {"choice": os.environ["CHOICE"], "typed_name": os.environ.get("TYPED", "")}
answer = client.post("/database/disconnect/", fields)
move = Move.objects.first()
result = {"status": answer.status_code, "move": move.pk if move else None}
"""

RECONNECT = """
import os
from byod.keys import seal_deploy_key
from byod.models import Connection
own = Connection.objects.get(user__username="owner")
sealed = seal_deploy_key(os.environ["OWN_KEY"], owner=own.user.external_id)
Connection.objects.filter(pk=own.pk).update(
    key_ciphertext=sealed.ciphertext, key_id=sealed.key_id, status="connected"
)
result = True
"""


def content_in_own(
    tmp_path: Path, main: EmulatorDeployment, own: EmulatorDeployment
) -> tuple[Sandbox, Content]:
    """A sandbox whose owner is connected to `own` (the main deployment `main` beside it), with
    their content there: 4 conversations of 30 messages."""
    sandbox, owner_id = connected_sandbox(tmp_path, main, own)
    sandbox.python(IN_OWN)
    return sandbox, seed(own, (owner_id, "owner"), conversations=4, per_conversation=30)


def state(sandbox: Sandbox, move_id: int) -> dict[str, Any]:
    row: dict[str, Any] = sandbox.row(
        "SELECT m.status, m.direction, m.error_message, c.status AS connection, "
        "c.key_ciphertext = '' AS key_erased FROM byod_move m "
        "JOIN byod_connection c ON c.is_main = 0 WHERE m.id = ?",
        move_id,
    )
    return row


def ended(sandbox: Sandbox, move_id: int) -> dict[str, Any]:
    def over() -> dict[str, Any]:
        row = state(sandbox, move_id)
        return row if row["status"] in ("done", "failed") else {}

    return wait_for(over, timeout=180, what=f"move {move_id} to end")


@pytest.mark.slow
def test_bring_back_then_delete_through_the_page_with_a_real_worker(
    tmp_path: Path, convex_emulator: Emulator, allow_emulator_hosts: None
) -> None:
    main = deployment_with_package(convex_emulator)
    own = deployment_with_package(convex_emulator)
    sandbox, mine = content_in_own(tmp_path, main, own)
    worker = sandbox.popen("db_worker", "--interval", "0.1", "--no-startup-delay")
    try:
        back = sandbox.python(POST, CHOICE="back")
        assert back["status"] == 302 and back["move"] is not None
        done = ended(sandbox, back["move"])
        assert (done["status"], done["direction"]) == ("done", "back"), done
        assert (done["connection"], done["key_erased"]) == ("disconnected", 1)
        assert_all_there_once(main, mine)
        assert sandbox.row("SELECT COUNT(*) AS n FROM byod_contentlocation") == {"n": 0}

        sandbox.python(RECONNECT, OWN_KEY=own.admin_key)
        refused = sandbox.python(POST, CHOICE="delete", TYPED="not-the-name")
        assert refused == {"status": 422, "move": back["move"]}  # nothing new started
        delete = sandbox.python(POST, CHOICE="delete", TYPED="emulated")
        assert delete["status"] == 302 and delete["move"] != back["move"]
        gone = ended(sandbox, delete["move"])
    finally:
        err = stop(worker, signal.SIGTERM)
    assert (gone["status"], gone["direction"]) == ("done", "delete"), (gone, err[-3000:])
    assert (gone["connection"], gone["key_erased"]) == ("disconnected", 1)
    assert count_owned(own, mine) == 0
    assert_all_there_once(main, mine)  # the main copy is untouched


# What the credentials form posts for "new credentials, move my content there".
SWITCH = """
import os
from django.test import Client
from accounts.models import User
from byod.models import Move
client = Client()
client.force_login(User.objects.get(username="owner"))
url, key = os.environ["NEW_URL"], os.environ["NEW_KEY"]
answer = client.post(
    "/database/credentials/", {"url": url, "deploy_key": key, "content_choice": "move"}
)
move = Move.objects.first()
result = {"status": answer.status_code, "move": move.pk if move else None}
"""

# The connection after the switch, read through the product (its key opened by `byod.keys`).
SWITCHED = """
import os
from byod.keys import open_deploy_key
from byod.models import Connection, ContentLocation, Move
own = Connection.objects.get(user__username="owner")
location = ContentLocation.objects.get(user=own.user)
key = open_deploy_key(own)
result = {
    "url": own.url,
    "key_is_new": key == os.environ["NEW_KEY"],
    "key_is_old": key == os.environ["OLD_KEY"],
    "location": [location.connection_id == own.pk, location.kind],
    "sealed_keys_left": Move.objects.exclude(switch_key_ciphertext="").count(),
}
"""

# The settings page as the owner sees it.
PAGE = """
from django.test import Client
from accounts.models import User
client = Client()
client.force_login(User.objects.get(username="owner"))
answer = client.get("/database/")
result = {"status": answer.status_code, "html": answer.content.decode()}
"""


def moves(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.rows("SELECT id, status, direction, error_message FROM byod_move ORDER BY id")


def failed_deploys(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.rows("SELECT id, error_message FROM byod_deployment WHERE status = 'failed'")


def moved(sandbox: Sandbox, directions: tuple[str, ...], timeout: float = 180) -> list[Any]:
    """The moves once the first ones are `directions`, all done (or any move or deploy
    failed)."""

    def settled() -> list[Any]:
        found = moves(sandbox)
        if any(m["status"] == "failed" for m in found) or failed_deploys(sandbox):
            return found
        done = tuple(m["direction"] for m in found if m["status"] == "done")
        return found if done[: len(directions)] == directions else []

    result: list[Any] = wait_for(settled, timeout=timeout, what=f"moves {directions} to end")
    return result


@pytest.mark.slow
def test_new_credentials_move_it_there_with_a_real_worker_old_main_new(
    tmp_path: Path, convex_emulator: Emulator, allow_emulator_hosts: None
) -> None:
    main = deployment_with_package(convex_emulator)
    old = deployment_with_package(convex_emulator)
    new = convex_emulator.create_deployment(backfill_ms=0)  # empty: its first deploy is ours
    sandbox, mine = content_in_own(tmp_path, main, old)
    worker = sandbox.popen("db_worker", "--interval", "0.1", "--no-startup-delay")
    try:
        posted = sandbox.python(SWITCH, NEW_URL=new.url, NEW_KEY=new.admin_key)
        assert posted["status"] == 302 and posted["move"] is not None, posted
        first = moved(sandbox, ("back",))
        # The move in may be queued (or under way) already: the worker does not wait for us.
        assert (first[0]["direction"], first[0]["status"]) == ("back", "done"), first
        assert old.calls()["requests"] > 0  # the move back read it with the old key
        old.reset_calls()  # from here on, nothing may call the old deployment
        both = moved(sandbox, ("back", "in"))
        page = sandbox.python(PAGE)
    finally:
        err = stop(worker, signal.SIGTERM)
    assert [(m["direction"], m["status"]) for m in both] == [("back", "done"), ("in", "done")], (
        both,
        failed_deploys(sandbox),
        err[-3000:],
    )
    assert_all_there_once(new, mine)
    assert count_owned(old, mine) == mine.total  # the old deployment keeps its copy
    assert old.calls()["requests"] == 0
    switched = sandbox.python(SWITCHED, OLD_KEY=old.admin_key, NEW_KEY=new.admin_key)
    assert switched == {
        "url": new.url,
        "key_is_new": True,
        "key_is_old": False,
        "location": [True, "own"],
        "sealed_keys_left": 0,
    }

    html = page["html"]
    assert page["status"] == 200
    result = html[html.index('id="move-status"') :]
    assert '<div class="banner ok move-result" role="status">' in result
    assert "Move finished" in result and "Your content is in your deployment" in result
    history = html[html.index('id="history"') :]
    assert f"Your data was moved in: {mine.total:,} documents, verified." in history
    assert "Moving your data to your new deployment (step 1 of 2" in history
    assert old.admin_key not in html and new.admin_key not in html
