"""Where the rollout tasks lived until services were grouped by capability (one release only).

Task rows queued before the upgrade name `byod.services.rollout_driver.<task>`; the worker
imports that path, which finds the same task objects here. Remove this module in the release
after the move, once no such row is queued (README, "Upgrading").
"""

from __future__ import annotations

from byod.services.rollouts.driver import drive_task, watch_rollout_task

__all__ = ["drive_task", "watch_rollout_task"]
