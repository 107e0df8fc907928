"""What `scripts/bench data` stands on: the fake deployments (benchmarks/fake_convex.py, in its
own process) and, in the throwaway database, one user per deployment whose content is there
(an "own" connection with its key sealed, healthy, on a version with data functions)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from benchmarks.harness import ROOT

KEY_HEX = "0123456789abcdef0123456789abcdef"


@dataclass
class Fake:
    """A running fake_convex process: its live and dead ports, and its request counts."""

    process: subprocess.Popen[str]
    ports: list[int]
    dead: list[int]
    control: int
    users: list[Any] = field(default_factory=list)

    def counts(self, reset: bool = False) -> dict[int, tuple[int, int]]:
        """{port: (HTTP requests, functions run)} since the last reset."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control}/counts", method="DELETE" if reset else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (our loopback)
            raw = json.loads(answer.read())
        return {int(port): (n[0], n[1]) for port, n in raw.items()}

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_fake(ports: int, *, dead: int = 0, latency_ms: float = 0, documents: int = 20) -> Fake:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_convex", "--ports", str(ports), "--dead",
         str(dead), "--latency-ms", str(latency_ms), "--documents", str(documents)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    started = json.loads(process.stdout.readline())
    return Fake(process, started["ports"], started["dead"], started["control"])


def users_on(ports: list[int], prefix: str) -> list[Any]:
    """One user per port, whose content is in their own deployment there (rows written
    directly, as a connect and its deploy would leave them)."""
    from django.utils import timezone

    from accounts.models import User
    from byod.data import DATA_FUNCTIONS_SINCE
    from byod.keys import seal_deploy_key
    from byod.models import Connection, ContentLocation

    made = []
    now = timezone.now()
    for n, port in enumerate(ports):
        # No password: hashing one costs a tenth of a second (the page test logs in directly).
        user = User.objects.create(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com")
        name = f"{prefix}{n}"
        sealed = seal_deploy_key(f"{name}|{KEY_HEX}", owner=user.external_id)
        connection = Connection.objects.create(
            user=user,
            url=f"http://127.0.0.1:{port}",
            deployment_name=name,
            key_ciphertext=sealed.ciphertext,
            key_id=sealed.key_id,
            status="connected",
            deployed_version=DATA_FUNCTIONS_SINCE,
            pushed_version=DATA_FUNCTIONS_SINCE,
            health="healthy",
        )
        ContentLocation.objects.create(user=user, connection=connection, kind="own", changed_at=now)
        made.append(user)
    return made
