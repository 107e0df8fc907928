"""Small helpers for admin columns: words instead of booleans, long text clipped with the
whole of it in a tooltip."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString


def clipped(text: str, limit: int) -> SafeString:
    """`text` cut to `limit` characters; the whole text in the title attribute."""
    text = " ".join(text.split())
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return format_html('<span class="clipped" title="{}">{}</span>', text, shown)
