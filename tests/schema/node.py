"""Run schemas through the real `convex` npm package (Node) for the tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from byod.schema.typescript import PROJECT_DIR

RUNNER = Path(__file__).resolve().parent / "convex_export.mjs"


def real_exports(sources: dict[str, str]) -> dict[str, Any]:
    """`defineSchema(...).export()` of each TypeScript source, parsed, by name (one Node run)."""
    proc = subprocess.run(
        ["node", str(RUNNER), str(PROJECT_DIR)],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result
