"""Admin change lists that answer odd query strings with a message instead of a 500.

Django's ChangeList turns most bad lookups into IncorrectLookupParameters (the admin then
redirects with "?e=1"), but some only fail when the query runs: `created_at__year=99999` builds
a date out of range while counting results. Those are caught here too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest


class SafeChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


class SafeListsMixin:
    """Mix into a ModelAdmin so its change list survives lookups that fail at query time."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SafeChangeList
