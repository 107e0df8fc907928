"""A deploy key echoed back by a deployment never survives, not even in part.

Texts are cut (to fit a column, a log line) in several places; a key straddling a cut used to
escape the scrubbing, which looked for the whole key only. Any run of 8 or more characters of
the secret counts as a leak here.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from byod.models import Connection, Deployment, Event
from byod.redaction import redact
from byod.services.deploys.run import run_deploy
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db
FRAGMENT = 8


def leaked_fragments(text: str, secret: str) -> list[str]:
    return sorted(
        {secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1)}
        & {text[i : i + FRAGMENT] for i in range(len(text) - FRAGMENT + 1)}
    )


def everything_recorded(deployment: Deployment) -> str:
    deployment.refresh_from_db()
    connection = Connection.objects.get(pk=deployment.connection_id)
    events = Event.objects.filter(connection=connection).values_list("message", "data")
    return "\n".join(
        [
            deployment.log,
            deployment.error_message,
            connection.last_error_message,
            *(f"{message} {data}" for message, data in events),
        ]
    )


@pytest.mark.parametrize("offset", [150, 170, 420, 440])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_key_echoed_across_a_cut_leaves_no_fragment_anywhere(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    caplog: pytest.LogCaptureFixture,
    offset: int,
    as_json: bool,
) -> None:
    _, queued = connected
    secret = canary_deployment.admin_key.split("|", 1)[1]
    text = "x" * offset + canary_deployment.admin_key + " and the rest of the story" * 20
    body: Any = {"code": "BadRequestBody", "message": text} if as_json else text
    canary_deployment.set_fault("deploy2/start_push", status=400, body=body)
    with caplog.at_level(logging.DEBUG):
        run_deploy(queued.pk)
    recorded = everything_recorded(queued)
    assert queued.status == "failed"
    assert leaked_fragments(recorded + caplog.text, secret) == []


def test_redact_removes_every_long_fragment_and_keeps_the_rest() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    text = f"start …{secret[:20]}| middle {secret[12:]} end {secret[:7]} ok"
    cleaned = redact(text, secret)
    assert leaked_fragments(cleaned, secret) == []
    assert cleaned.startswith("start …[redacted]| middle [redacted] end ")
    assert cleaned.endswith(f"{secret[:7]} ok")  # 7 characters are not a fragment
