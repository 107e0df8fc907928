"""Record and retry deploys whose worker died (its lease on the connection expired).

Run it from cron every minute or two as a safety net; every deploy also enqueues a watchdog
task for itself, and every deploy run reaps first, so a live worker usually gets there first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from byod.services.deploys.run import reap_and_retry
from byod.services.health import close_abandoned_batches


class Command(BaseCommand):
    help = "Mark deploys whose worker died as failed attempts and schedule their retries."

    def handle(self, *args: Any, **options: Any) -> None:
        reaped = reap_and_retry()
        if reaped:
            listed = ", ".join(f"#{r.deployment_id}" for r in reaped)
            self.stdout.write(f"Reaped {len(reaped)} abandoned deploy(s): {listed}.")
        else:
            self.stdout.write("No abandoned deploys.")
        closed = close_abandoned_batches()
        if closed:
            self.stdout.write(f"Closed {closed} health check task(s) whose worker died.")
