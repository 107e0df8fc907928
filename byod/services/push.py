"""The steps of one deploy against the user's deployment, in order, with progress saved.

Artifact of version N -> `start_push` (or `evaluate_push` for a dry run) -> `wait_for_schema`
until ready -> `finish_push` -> record the version on the deployment (`meta:record`) and read
it back (`meta:get`). Failures are raised as `ByodError`s.

A deploy belongs to the destination it started with. Before every call that changes the
deployment, and between schema polls, the worker renews its lease and saves its progress
only if the deploy is still running: a deploy cancelled (disconnect) or superseded (new
credentials, a person's redeploy) meanwhile raises `Stopped` there, and its log says where.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from byod import builds, transitions
from byod.client import ConvexClient, SchemaProgress
from byod.errors import PROTOCOL_ERROR, ConvexError
from byod.inputs import DeploymentUrl
from byod.models import Deployment
from byod.services.lease import Lease


class Stopped(Exception):
    """The deploy was cancelled or superseded while it ran; `where` names the next step."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@functools.lru_cache(maxsize=4)
def _artifact(version: int) -> dict[str, Any]:
    # Parsed once per process; callers copy the top level and never change nested values.
    return builds.load_artifact(version)


@sensitive_variables("key", "body")
def push_package(
    deployment: Deployment, url: DeploymentUrl, key: str, lease: Lease
) -> dict[str, Any]:
    """Push the deployment's version to `url` with `key`; returns the diff summary."""
    version = deployment.to_version
    body = {**_artifact(version), "adminKey": key, "dryRun": deployment.dry_run}

    def step(phase: str) -> None:
        lease.keep_alive()
        if not transitions.save_progress(deployment, phase=phase, log_line=phase):
            raise Stopped(f"before {phase}")

    with ConvexClient(url, key) as client:
        if deployment.dry_run:
            # evaluate_push stages nothing: the deployment is left exactly as it was.
            step("evaluating push (dry run)")
            evaluation = client.evaluate_push(body)
            summary = diff_summary(evaluation.get("schemaChange"))
            step("dry run evaluated")
            return {**summary, "dry_run": True}

        step("uploading package")
        started = client.start_push(body)
        summary = diff_summary(started.get("schemaChange"))
        step("waiting for schema")
        client.wait_for_schema(started, on_progress=_progress_saver(deployment, lease))
        if summary["indexes_total"]:
            transitions.save_progress(
                deployment,
                indexes_ready=summary["indexes_total"],
                indexes_total=summary["indexes_total"],
            )
        step("finishing push")
        client.finish_push(started)
        transitions.mark_pushed(deployment)
        step("recording version")
        lease.keep_alive(force=True)
        _record_version(client, version, deployment.package_hash)
        step("version recorded and verified")
        return summary


def _progress_saver(deployment: Deployment, lease: Lease) -> Any:
    last: list[tuple[str, int, int] | None] = [None]

    def on_progress(progress: SchemaProgress) -> None:
        lease.keep_alive()
        seen = (progress.phase, progress.indexes_ready, progress.indexes_total)
        changed = seen != last[0]
        last[0] = seen
        still_running = transitions.save_progress(
            deployment,
            phase=progress.phase if changed else None,
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
    recorded = client.query("meta:get", {})
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
