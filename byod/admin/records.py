"""Audit records, read-only: deploy attempts and events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from byod.models import (
    Deployment,
    Event,
)
from byodsite.admin_lists import SafeListsMixin


class ReadOnlyAdmin(SafeListsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Audit records: operators read them; only the services write them."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "connection_user",
        "status",
        "trigger",
        "dry_run",
        "from_version",
        "to_version",
        "phase",
        "attempt",
        "error_category",
        "created_at",
        "duration_display",
    )
    list_filter = ("status", "trigger", "dry_run", "to_version", "error_category", "rollout")
    list_select_related = ("connection__user",)
    search_fields = ("connection__user__username", "connection__deployment_name")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    @admin.display(description="user", ordering="connection__user__username")
    def connection_user(self, obj: Deployment) -> str:
        return str(obj.connection.user)

    @admin.display(description="duration")
    def duration_display(self, obj: Deployment) -> str:
        return f"{obj.duration.total_seconds():.1f} s" if obj.duration else "—"


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connection", "kind", "actor", "message")
    list_filter = ("kind",)
    list_select_related = ("connection__user", "actor")
    search_fields = ("connection__user__username", "kind", "message")
    ordering = ("-created_at", "-id")
