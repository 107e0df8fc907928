"""Where the deploy tasks lived until services were grouped by capability (one release only).

Task rows queued before the upgrade name `byod.services.deploy.<task>`; the worker imports
that path, which finds the same task objects here. Remove this module in the release after
the move, once no such row is queued (README, "Upgrading").
"""

from __future__ import annotations

from byod.services.deploys.run import deploy_task, watch_deploy_task

__all__ = ["deploy_task", "watch_deploy_task"]
