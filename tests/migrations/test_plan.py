"""Which migrations a deploy runs, read from the sample package's manifests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from byod.services.migrations.plan import Plan, plan


@pytest.fixture
def sample_manifests(use_sample: Callable[[int], None]) -> None:
    use_sample(3)


def names(todo: Plan) -> list[str]:
    return [s.name for s in todo.steps]


@pytest.mark.usefixtures("sample_manifests")
def test_going_up_runs_each_versions_migrations_in_order_after_the_targets_expanded_schema() -> (
    None
):
    todo = plan(1, None, 3)
    assert names(todo) == ["v2:message-shape", "v3:message-preview"]
    assert todo.expanded_version == 3
    # Going up forgets any earlier way back, so a later one runs again from the start.
    assert todo.reset_names == ("v2:down-messages", "v3:down-messages")
    assert names(plan(2, None, 3)) == ["v3:message-preview"]


@pytest.mark.usefixtures("sample_manifests")
def test_nothing_to_migrate_pushes_the_target_alone() -> None:
    for todo in (plan(None, None, 3), plan(3, None, 3), plan(1, None, 1)):
        assert todo.steps == () and todo.expanded_version is None and not todo.migrates


@pytest.mark.usefixtures("sample_manifests")
def test_going_down_runs_each_versions_way_back_newest_first() -> None:
    todo = plan(3, None, 1)
    assert names(todo) == ["v3:down-messages", "v2:down-messages"]
    assert todo.expanded_version == 3
    assert todo.reset_names == ("v3:message-preview", "v2:message-shape")
    assert todo.steps[0].direction == "down"


@pytest.mark.usefixtures("sample_manifests")
def test_on_an_expanded_schema_every_versions_migrations_run_again() -> None:
    # A migration to v2 stopped midway (pushed: v1, expanded: v2): finish it, and go on to v3.
    assert names(plan(1, 2, 3)) == ["v2:message-shape", "v3:message-preview"]
    # A way back from v2 stopped midway (pushed: v2, expanded: v2): redeploying v2 runs v2's
    # migration again (the way back reset its saved progress), not nothing.
    assert names(plan(2, 2, 2)) == ["v2:message-shape"]
    # ... and going on down from there finishes the way back.
    assert names(plan(2, 2, 1)) == ["v2:down-messages"]


@pytest.mark.usefixtures("sample_manifests")
def test_going_back_from_a_stopped_upgrade_also_brings_older_documents_up() -> None:
    # An upgrade v1 -> v3 stopped midway (pushed: v1, expanded: v3), then v2 is wanted: the
    # documents still of v1's shape must reach v2 too, not only those already at v3.
    todo = plan(1, 3, 2)
    assert names(todo) == ["v2:message-shape", "v3:down-messages"]
    assert todo.expanded_version == 3
    assert [s.direction for s in todo.steps] == ["up", "down"]
