"""Background tasks: thin wrappers taking ids, so the worker reloads fresh rows.

The work itself lives in `byod.services.deploy`; these only name it for `django.tasks`.
"""

from __future__ import annotations

from django.tasks import task

from byod.services import deploy


@task()
def deploy_task(deployment_id: int) -> None:
    """Run one attempt of a queued deploy."""
    deploy.run_deploy(deployment_id)


@task()
def watch_deploy_task(deployment_id: int) -> None:
    """After a deploy's lease would expire: reap it if its worker died."""
    deploy.watch_deploy(deployment_id)


@task()
def reap_stale_deploys_task() -> None:
    """Record and retry deploys whose worker died (also run by `manage.py byod_reap`)."""
    deploy.reap_stale_deploys()
