"""One date format everywhere, admin included: 24-hour clock with the zone (the site runs
in UTC), e.g. "23 Nov 2026, 19:22 UTC". The settings page adds relative time beside it
(byod.templatetags.byod_format)."""

from __future__ import annotations

DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i T"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
