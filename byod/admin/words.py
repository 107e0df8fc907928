"""Small helpers for admin columns: words instead of booleans, long text clipped with the
whole of it in a tooltip."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def clipped(text: str, limit: int) -> SafeString:
    """`text` cut to `limit` characters; the whole text in the title attribute."""
    text = " ".join(text.split())
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return format_html('<span class="clipped" title="{}">{}</span>', text, shown)


def error_cell(category: str, message: str, limit: int = 70) -> str:
    """An error column: "category: message" clipped, or "—" when there was none."""
    return clipped(f"{category}: {message}", limit) if category else "—"


def when(value: datetime | None) -> str:
    """The site's one date format (byodsite/formats), with the zone; "—" for none."""
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
