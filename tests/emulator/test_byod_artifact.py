"""The committed build artifact (what the product pushes over HTTP) deploys to the emulator."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

from tests.emulator.convex_cli import push
from tests.emulator.test_cli import canonical

BUILDS = Path(__file__).resolve().parents[2] / "byod" / "builds"


def latest_artifact() -> Path | None:
    versions = sorted(
        (p for p in BUILDS.glob("v*/push_request.json") if p.parent.name[1:].isdigit()),
        key=lambda p: int(p.parent.name[1:]),
    )
    return versions[-1] if versions else None


def test_the_latest_artifact_deploys_and_activates_the_package_schema(client, convex_deployment):
    artifact = latest_artifact()
    assert artifact is not None
    request = json.loads(artifact.read_text())
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, request)
    assert outcome["start"].status_code == 200, outcome["start"].text
    assert outcome["statuses"][-1] == {"type": "complete"}
    assert outcome["finish"].status_code == 200
    out = io.StringIO()
    call_command("byod_schema", "json", stdout=out)
    assert canonical(convex_deployment.active_schema()) == canonical(json.loads(out.getvalue()))
