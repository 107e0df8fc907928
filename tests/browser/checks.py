"""What every state of a page must pass in the browser, at 1280 and 390 px wide: a screenshot
of each width, no sideways scrolling of the page at 390 px, and no serious or critical
accessibility violation found by axe-core (vendored here, version and sha256 pinned).

Screenshots go to $BYOD_SCREENSHOTS, else test-results/screenshots/states/.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.10.3"
AXE_FILE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}.min.js"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
WIDTHS = (1280, 390)
HEIGHT = 900
BLOCKING = ("serious", "critical")


def screenshots_dir() -> Path:
    default = ROOT / "test-results" / "screenshots" / "states"
    path = Path(os.environ.get("BYOD_SCREENSHOTS") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


@cache
def axe_source() -> str:
    data = AXE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_FILE.name} is not the pinned axe-core {AXE_VERSION}"
    return data.decode()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical violations on the page as it is now. axe is evaluated through the
    DevTools protocol, which the page's Content-Security-Policy does not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result
        if v["impact"] in BLOCKING
    ]


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return int(
        page.evaluate(
            "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
    )


def check_state(page: Any, name: str, *, widths: tuple[int, ...] = WIDTHS) -> list[Path]:
    """Screenshot `page` at each width, assert it fits at 390 px and passes axe; returns the
    screenshot paths. The page keeps the last width; callers set their own afterwards."""
    saved: list[Path] = []
    problems: list[str] = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")
        path = screenshots_dir() / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        if width <= 390 and (overflow := horizontal_overflow(page)) > 0:
            problems.append(f"{name} scrolls sideways by {overflow}px at {width}px")
        if violations := axe_violations(page):
            problems.append(f"{name} at {width}px: {json.dumps(violations, indent=1)}")
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    assert not problems, "\n".join(problems)
    return saved
