"""The steps of one deploy against the user's deployment, in order, with progress saved.

Artifact of version N -> `start_push` (or `evaluate_push` for a dry run) -> `wait_for_schema`
until ready -> `finish_push` -> record the version on the deployment (`meta:record`) and read
it back (`meta:get`). Failures are raised as `ByodError`s.

A version that changes data goes expand -> migrate -> contract (the plan comes from
`byod.services.migrations.plan`): push N's expanded schema (it accepts old and new documents
alike), run the migrations batch after batch (`byod.services.migrations.run`), then push N's own
schema as above. A failure midway leaves the expanded schema, which accepts everything the
deployment holds; the next attempt resumes from the cursor the deployment saved.

A deploy belongs to the destination it started with. Before every call that changes the
deployment, between schema polls and before every migration batch, the worker renews its
lease and saves its progress only if the deploy is still running: a deploy cancelled
(disconnect) or superseded (new credentials, a person's redeploy) meanwhile raises `Stopped`
there, and its log says where.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from byod import builds, transitions
from byod.client import ConvexClient, PushBody, SchemaProgress
from byod.clients import Purpose, client_for_credentials
from byod.errors import EXISTING_DATA_CONFLICT, PROTOCOL_ERROR, ConvexError
from byod.inputs import DeploymentUrl
from byod.models import Deployment, DeployPhase
from byod.services.deploys.lease import Lease
from byod.services.migrations import run as migrate
from byod.services.migrations.plan import Plan


class Stopped(Exception):
    """The deploy was cancelled or superseded while it ran; `where` names the next step."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


# A driver's threads all start their first deploy at once: one of them parses and encodes
# the artifact while the others wait, rather than each doing it (~0.5 s of CPU per process).
_ONCE = threading.RLock()


@functools.lru_cache(maxsize=8)
def _load_artifact(version: int, expanded: bool = False) -> dict[str, Any]:
    return builds.load_artifact(version, expanded=expanded)


def _artifact(version: int, expanded: bool = False) -> dict[str, Any]:
    # Parsed once per process; callers copy the top level and never change nested values.
    with _ONCE:
        return _load_artifact(version, expanded)


_ENCODED: dict[tuple[int, bool], tuple[dict[str, Any], PushBody]] = {}


def _encoded(version: int, expanded: bool) -> PushBody:
    """The artifact serialized once per process: each deploy only appends its key. One entry
    per build, remade when `_artifact`'s cache was cleared (another parsed artifact)."""
    with _ONCE:
        artifact = _artifact(version, expanded)
        found = _ENCODED.get((version, expanded))
        if found is None or found[0] is not artifact:
            found = (artifact, PushBody(artifact))
            _ENCODED[version, expanded] = found
        return found[1]


@sensitive_variables("key")
def push_package(
    deployment: Deployment, url: DeploymentUrl, key: str, lease: Lease
) -> dict[str, Any]:
    """Push the deployment's version to `url` with `key`, with its data migrations when its
    documents need them; returns the diff summary."""
    version = deployment.to_version
    # A deploy started a moment ago already in this phase (a rollout's drivers save it when
    # they start it) needs no second write of it before its first push.
    preset = deployment.phase == DeployPhase.UPLOADING and deployment.attempt == 1

    def step(phase: DeployPhase, detail: str = "", **also: Any) -> None:
        # One UPDATE: the phase, the log line, anything else to save, and the check that the
        # deploy still runs (else it stops here, before the next call that changes anything).
        lease.keep_alive()
        line = phase.line(detail)
        saved = transitions.save_progress(
            deployment, phase=phase, detail=detail, log_line=line, also=also
        )
        if not saved:
            raise Stopped(f"before {line}")

    def keep_going(phase: DeployPhase, detail: str = "") -> None:
        # Before every migration batch: like step(), without a log line per batch.
        lease.keep_alive()
        if not transitions.save_progress(deployment, phase=phase, detail=detail):
            raise Stopped(f"before the next batch ({phase.line(detail)})")

    with client_for_credentials(url, key, purpose=Purpose.DEPLOY) as client:
        # Every call that changes the deployment runs under the lease for as long as it may.
        client.hold = lease.covering
        todo = migrate.plan_for(deployment.connection, client, version)
        if deployment.dry_run:
            return _dry_run(client, deployment, todo, key, step, keep_going)
        encoded = _encoded(version, False)
        migrations: list[dict[str, Any]] = []
        expanded_summary: dict[str, Any] | None = None
        if todo.migrates:
            expanded = todo.expanded_version or version
            step(DeployPhase.PUSHING_EXPANDED, f"of v{expanded}")
            transitions.save_progress(deployment, log_line=todo.describe())
            wide = _encoded(expanded, True)
            expanded_summary = _push(client, wide, deployment, lease, step)
            transitions.mark_expanded(deployment, expanded)
            outcomes = migrate.run_steps(client, deployment, todo, keep_going)
            migrations = [asdict(o) for o in outcomes]
        if todo.migrates or not preset:
            step(DeployPhase.UPLOADING)
        try:
            summary = _push(client, encoded, deployment, lease, step)
        except ConvexError as error:
            if not todo.migrates or error.category != EXISTING_DATA_CONFLICT:
                raise
            # Documents of an older shape arrived after their migration had finished (written
            # around our functions, e.g. by an import): run the migrations again over every
            # document, once, then push again.
            transitions.save_progress(deployment, log_line=error.detail)
            step(DeployPhase.MIGRATING_AGAIN)
            client.mutation("migrations:reset", {"names": [s.name for s in todo.steps]})
            outcomes = migrate.run_steps(client, deployment, todo, keep_going)
            migrations += [asdict(o) for o in outcomes]
            step(DeployPhase.UPLOADING_AGAIN)
            summary = _push(client, encoded, deployment, lease, step)
        pushed_at = transitions.mark_pushed(deployment, save=False)
        if todo.migrates or deployment.connection.migrating_version is not None:
            transitions.mark_contracted(deployment)
        # The step's UPDATE also says whether the deploy still runs (not reaped, not stopped).
        step(DeployPhase.RECORDING_VERSION, pushed_at=pushed_at)
        _record_version(client, version, deployment.package_hash)
        if expanded_summary is not None:
            summary = _merged(expanded_summary, summary)
        if migrations:
            summary["migrations"] = migrations
        return summary


@sensitive_variables("body")
def _push(
    client: ConvexClient,
    body: PushBody,
    deployment: Deployment,
    lease: Lease,
    step: Callable[..., None],
) -> dict[str, Any]:
    """start_push -> wait_for_schema (progress saved while it is in progress) -> finish_push;
    the diff summary."""
    started = client.start_push(body)
    summary = diff_summary(started.get("schemaChange"))
    client.wait_for_schema(started, on_progress=_progress_saver(deployment, lease))
    done = summary["indexes_total"]
    indexes = {"indexes_ready": done, "indexes_total": done} if done else {}
    step(DeployPhase.FINISHING_PUSH, **indexes)
    client.finish_push(started)
    return summary


@sensitive_variables("key", "body")
def _dry_run(
    client: ConvexClient,
    deployment: Deployment,
    todo: Plan,
    key: str,
    step: Callable[[DeployPhase], None],
    keep_going: migrate.KeepGoing,
) -> dict[str, Any]:
    """evaluate_push stages nothing, and counting migrations is a query: the deployment is
    left exactly as it was. With migrations, the expanded push is what would go first."""
    step(DeployPhase.EVALUATING)
    # With migrations, what would be pushed first is the expanded schema.
    version, expanded = todo.expanded_version or deployment.to_version, todo.migrates
    body = {**_artifact(version, expanded), "adminKey": key, "dryRun": True}
    summary = diff_summary(client.evaluate_push(body).get("schemaChange"))
    if todo.migrates:
        transitions.save_progress(deployment, log_line=todo.describe())
        # Counting a big table takes many calls: each renews the lease, as a real run's batches do.
        outcomes = migrate.dry_run_steps(
            client, deployment.connection, todo, deployment=deployment, keep_going=keep_going
        )
        summary["migrations"] = [asdict(o) for o in outcomes]
        for o in outcomes:
            said = f"{o.changed:,} of {o.processed:,} would change" if o.processed else o.note
            transitions.save_progress(deployment, log_line=f"{o.name}: {o.status}: {said}")
    step(DeployPhase.DRY_RUN_EVALUATED)
    return {**summary, "dry_run": True}


def _merged(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """The index changes of the expanded push and the target's, as one summary."""
    merged = {
        key: sorted(set(first[key]) | set(then[key]))
        for key in ("indexes_added", "indexes_removed", "indexes_enabled")
    }
    merged["indexes_total"] = first["indexes_total"] + then["indexes_total"]
    return merged


def _progress_saver(deployment: Deployment, lease: Lease) -> Any:
    last: list[tuple[DeployPhase, int, int] | None] = [None]

    def on_progress(progress: SchemaProgress) -> None:
        lease.keep_alive()
        phase = schema_phase(progress)
        seen = (phase, progress.indexes_ready, progress.indexes_total)
        changed = seen != last[0]
        last[0] = seen
        still_running = transitions.save_progress(
            deployment,
            phase=phase if changed else None,
            indexes_ready=progress.indexes_ready if changed else None,
            indexes_total=progress.indexes_total if changed else None,
        )
        if not still_running:
            raise Stopped("while waiting for the schema")

    return on_progress


def _record_version(client: ConvexClient, version: int, digest: str) -> None:
    deployed_at = int(timezone.now().timestamp() * 1000)
    client.mutation(
        "meta:record", {"schemaVersion": version, "packageHash": digest, "deployedAt": deployed_at}
    )
    recorded = client.package_meta()
    got_version = recorded.get("schemaVersion") if isinstance(recorded, dict) else None
    got_hash = recorded.get("packageHash") if isinstance(recorded, dict) else None
    if got_version != version or got_hash != digest:
        raise ConvexError(
            PROTOCOL_ERROR,
            f"meta:get read back version {got_version!r} / hash {str(got_hash)[:12]!r}, "
            f"expected {version} / {digest[:12]}",
        )


def diff_summary(schema_change: Any) -> dict[str, Any]:
    """Index names added, removed and enabled, from a push's `schemaChange`."""
    diffs = schema_change.get("indexDiffs") if isinstance(schema_change, dict) else None
    root = diffs.get("", {}) if isinstance(diffs, dict) else {}

    def names(key: str) -> list[str]:
        items = root.get(key) or [] if isinstance(root, dict) else []
        return sorted(str(i.get("name", "?")) if isinstance(i, dict) else str(i) for i in items)

    added, removed = names("added_indexes"), names("removed_indexes")
    enabled = names("enabled_indexes")
    return {
        "indexes_added": added,
        "indexes_removed": removed,
        "indexes_enabled": enabled,
        "indexes_total": len(added) + len(enabled),
    }


def schema_phase(progress: SchemaProgress) -> DeployPhase:
    """The deploy's phase while its schema is not ready yet: indexes first, then documents."""
    if progress.indexes_ready < progress.indexes_total:
        return DeployPhase.BACKFILLING_INDEXES
    if not progress.schema_validation_complete:
        return DeployPhase.VALIDATING_DOCUMENTS
    return DeployPhase.FINISHING_SCHEMA
