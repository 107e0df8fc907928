"""What the migration tests share: deploying a version in this process, reading the runner."""

from __future__ import annotations

from typing import Any

from byod.client import ConvexClient
from byod.inputs import parse_url
from byod.models import Connection, Deployment
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.emulator import EmulatorDeployment


def deploy(connection: Connection, version: int | None = None, **options: Any) -> Deployment:
    """Request a deploy of `version` (default: current) and run its attempt here; reloaded."""
    deployment = request_deploy(connection, trigger="admin", version=version, **options)
    run_deploy(deployment.pk)
    done = Deployment.objects.select_related("connection").get(pk=deployment.pk)
    connection.refresh_from_db()
    return done


def call(dep: EmulatorDeployment, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
    """Run one of the deployment's functions with its admin key."""
    with ConvexClient(parse_url(dep.url), dep.admin_key) as client:
        if kind == "query":
            return client.query(path, args or {})
        return client.mutation(path, args or {})


def runner_state(dep: EmulatorDeployment, *names: str) -> dict[str, dict[str, Any]]:
    """The progress the deployment saved for these migrations, by name."""
    rows = call(dep, "query", "migrations:status", {"names": list(names)})
    return {row["name"]: row for row in rows}


def without_system_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}
