"""Disconnect choices through the page's actions, run by a real `db_worker` process: bring
back (the content in the main deployment, each document once, then the key erased), then, once
connected again, delete (none of the owner's documents left in their deployment, the main
copy untouched, then the key erased)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from byod.package.version import CURRENT_VERSION
from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.emulator import Emulator
from tests.fixtures.waiting import wait_for
from tests.moves.conftest import assert_all_there_once, count_owned, deployment_with_package, seed
from tests.moves.test_workers import SETUP

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


def state(sandbox: Sandbox, move_id: int) -> dict[str, Any]:
    row: dict[str, Any] = sandbox.row(
        "SELECT m.status, m.direction, m.error_message, c.status AS connection, "
        "c.key_ciphertext = '' AS key_erased FROM byod_move m "
        "JOIN byod_connection c ON c.is_main = 0 WHERE m.id = ?",
        move_id,
    )
    return row


def ended(sandbox: Sandbox, move_id: int) -> dict[str, Any]:
    return wait_for(
        lambda: (row := state(sandbox, move_id))["status"] in ("done", "failed") and row,
        timeout=180,
        what=f"move {move_id} to end",
    )


@pytest.mark.slow
def test_bring_back_then_delete_through_the_page_with_a_real_worker(
    tmp_path: Path, convex_emulator: Emulator, allow_emulator_hosts: None
) -> None:
    main = deployment_with_package(convex_emulator)
    own = deployment_with_package(convex_emulator)
    sandbox = Sandbox(
        tmp_path,
        BYOD_MOVE_SETTLE_SECONDS="0",
        BYOD_MOVE_BATCH_SIZE="50",
        BYOD_MOVE_RETRY_SECONDS="0.2",
    )
    ids = sandbox.python(
        SETUP,
        VERSION=str(CURRENT_VERSION),
        MAIN_URL=main.url,
        MAIN_KEY=main.admin_key,
        OWN_URL=own.url,
        OWN_KEY=own.admin_key,
    )
    sandbox.python(IN_OWN)
    mine = seed(own, (ids["owner"], "owner"), conversations=4, per_conversation=30)
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
