"""Going back a version: the way back runs like an upgrade, and an impossible one is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from accounts.models import User
from byod import builds
from byod.errors import ByodError
from byod.models import MigrationRun
from byod.services import connections
from byod.services.migrations.plan import plan
from tests.fixtures.emulator import EmulatorDeployment
from tests.migrations.helpers import deploy, without_system_fields
from tests.migrations.sample import SCHEMAS, v1_message

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_it_goes_back_to_v1_and_up_again(
    owner: User, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> None:
    use_sample(1)
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    assert deploy(connection).status == "succeeded"
    originals = [v1_message(i) for i in range(400)]
    canary_deployment.insert_many("messages", originals)
    use_sample(2)
    assert deploy(connection).status == "succeeded"

    back = deploy(connection, version=1)

    assert back.status == "succeeded", (back.error_message, back.log)
    assert connection.deployed_version == 1 and connection.migrating_version is None
    assert canary_deployment.active_schema() == SCHEMAS[1].export()
    docs = sorted(canary_deployment.documents("messages"), key=lambda d: d["createdAt"])
    # The way back undoes the rename and drops v2's fields (acknowledged in v2's declaration);
    # the role v2 mapped stays mapped: v1 accepts it.
    assert [without_system_fields(d) for d in docs] == [
        {**m, "role": "assistant" if m["role"] == "tool" else m["role"]} for m in originals
    ]
    down = MigrationRun.objects.get(deployment=back)
    assert (down.name, down.direction, down.status, down.changed) == (
        "v2:down-messages",
        "down",
        "succeeded",
        400,
    )

    again = deploy(connection, version=2)

    assert again.status == "succeeded", (again.error_message, again.log)
    up = MigrationRun.objects.get(deployment=again)
    # v2's migration had finished before; going back forgot that, so it ran over every document.
    assert (up.name, up.status, up.processed, up.changed) == (
        "v2:message-shape",
        "succeeded",
        400,
        400,
    )
    docs = [without_system_fields(d) for d in canary_deployment.documents("messages")]
    assert all({"content", "sentAt", "wordCount"} <= d.keys() for d in docs)


def test_a_way_back_that_cannot_hold_the_documents_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version, back in ((1, None), (2, {"to": 1, "migrations": [], "loses": [], "refused": [
        "t.legacy is required but the documents do not have it"
    ]})):  # fmt: skip
        (tmp_path / f"v{version}").mkdir()
        manifest = {"version": version, "package_hash": "x", "files": {}, "migrations": []}
        if back is not None:
            manifest["downgrade"] = back
        (tmp_path / f"v{version}" / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(builds, "BUILDS_DIR", tmp_path)
    builds.manifest.cache_clear()
    try:
        with pytest.raises(ByodError) as refused:
            plan(2, None, 1)
        assert refused.value.category == "downgrade_refused"
        assert "t.legacy is required" in refused.value.detail
        assert "Nothing was changed" in refused.value.user_message
        assert plan(2, None, 2).steps == ()
    finally:
        builds.manifest.cache_clear()
