"""List filters of the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from byod.models import (
    Connection,
    outdated_q,
)


class OutdatedFilter(admin.SimpleListFilter):
    title = "outdated"
    parameter_name = "outdated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Connection]
    ) -> QuerySet[Connection]:
        if self.value() == "yes":
            return queryset.filter(outdated_q())
        if self.value() == "no":
            return queryset.exclude(outdated_q())
        return queryset


class DeployedVersionFilter(admin.SimpleListFilter):
    title = "deployed version"
    parameter_name = "version"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        versions = (
            Connection.objects.exclude(deployed_version__isnull=True)
            .order_by("-deployed_version")
            .values_list("deployed_version", flat=True)
            .distinct()
        )
        return [("none", "None deployed"), *[(str(v), f"v{v}") for v in versions]]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Connection]
    ) -> QuerySet[Connection]:
        value = self.value()
        if value == "none":
            return queryset.filter(deployed_version__isnull=True)
        if value and value.isdigit():
            return queryset.filter(deployed_version=int(value))
        return queryset
