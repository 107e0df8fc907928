"""Django's `{# ... #}` comments end at the line's end: one that spans lines is printed on the
page as text (it was, at the top of every page). Longer comments are `{% comment %}` blocks."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_has_a_one_line_comment_spanning_lines() -> None:
    spanning = [
        f"{path.relative_to(TEMPLATES)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [path.read_text()]
        for m in re.finditer(r"\{#(?:(?!#\}).)*\n", text, re.S)
    ]
    assert spanning == []
