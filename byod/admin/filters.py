"""List filters of the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from byod.errors import DRIFT, find
from byod.models import (
    Connection,
    ConnectionQuerySet,
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


class HealthFilter(admin.SimpleListFilter):
    """Health as the last checks found it: never checked, healthy, degraded, drift, unhealthy
    (all, or by reason)."""

    title = "health"
    parameter_name = "health"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        reasons = (
            Connection.objects.unhealthy()
            .exclude(health_reason=DRIFT)
            .order_by("health_reason")
            .values_list("health_reason", flat=True)
            .distinct()
        )
        return [
            ("unknown", "Never checked"),
            ("healthy", "Healthy"),
            ("degraded", "Degraded"),
            ("drift", "Drift"),
            ("unhealthy", "Unhealthy (any reason)"),
            *[(f"unhealthy:{r}", f"Unhealthy: {_label(r)}") for r in reasons],
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Connection]
    ) -> QuerySet[Connection]:
        value = self.value() or ""
        chosen: ConnectionQuerySet = queryset  # type: ignore[assignment]
        if value == "unknown":
            return chosen.never_checked()
        if value in ("healthy", "degraded"):
            return chosen.healthy() if value == "healthy" else chosen.degraded()
        if value == "drift":
            return chosen.drifted()
        if value == "unhealthy":
            return chosen.unhealthy()
        if value.startswith("unhealthy:"):
            return chosen.unhealthy(value.split(":", 1)[1])
        return queryset


class ErrorCategoryFilter(admin.SimpleListFilter):
    """Last error by category, each choice labelled (no empty link for "no error")."""

    title = "last error category"
    parameter_name = "error"
    field_name = "last_error_category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        rows = model_admin.model.objects.exclude(**{self.field_name: ""})
        codes = rows.order_by(self.field_name).values_list(self.field_name, flat=True).distinct()
        return [("none", "No error"), *[(c, f"{_label(c)} ({c})") for c in codes]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(**{self.field_name: ""})
        if value:
            return queryset.filter(**{self.field_name: value})
        return queryset


class DeploymentErrorFilter(ErrorCategoryFilter):
    title = "error category"
    field_name = "error_category"


def _label(reason: str) -> str:
    kind = find(reason)
    return kind.label if kind else reason
