"""Times and durations as the settings page shows them: one absolute format with the zone
("23 Nov 2026, 19:22 UTC") inside a ``<time datetime>``, with relative words beside it
("3 minutes ago", "in 2 minutes")."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

register = template.Library()

ABSOLUTE = "j M Y, H:i T"
WITH_SECONDS = "j M Y, H:i:s T"


def absolute(value: datetime, *, seconds: bool = False) -> str:
    local = timezone.localtime(value)
    return date_format(local, WITH_SECONDS if seconds else ABSOLUTE)


def relative(value: datetime, now: datetime | None = None) -> str:
    now = now or timezone.now()
    delta = (value - now).total_seconds()
    if abs(delta) < 60:
        return "just now" if delta <= 0 else "in less than a minute"
    if delta > 0:
        return f"in {timeuntil(value, now, depth=1)}"
    return f"{timesince(value, now, depth=1)} ago"


@register.simple_tag
def when(value: datetime | None, seconds: bool = False, empty: str = "—") -> SafeString:
    """``<time datetime="…">23 Nov 2026, 19:22 UTC</time> <span>(3 minutes ago)</span>``."""
    if value is None:
        return format_html("{}", empty)
    return format_html(
        '<time datetime="{}" title="{}">{}</time> <span class="relative">({})</span>',
        value.isoformat(),
        absolute(value, seconds=True),
        absolute(value, seconds=seconds),
        relative(value),
    )


@register.filter
def latency(ms: int | None) -> str:
    """How long an answer took, in the unit people read: "230 ms", "1.4 s", "10 s"."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 10 else f"{round(seconds)} s"


@register.filter
def count(value: int | None) -> str:
    """A count with thousands separators: "12,345"; empty for None."""
    if value is None:
        return ""
    return f"{value:,}"
