"""Audit records, read-only: deploy attempts and events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from byod.admin.filters import DeploymentErrorFilter
from byod.admin.words import clipped, error_cell
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
        "status_display",
        "trigger",
        "versions_display",
        "phase_display",
        "attempt",
        "error_display",
        "created_at",
        "duration_display",
    )
    list_filter = ("status", "trigger", "dry_run", "to_version", DeploymentErrorFilter, "rollout")
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

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Deployment) -> str:
        # A dry run is a word where it is true, not a red ✗ on every other row.
        status = obj.get_status_display()
        return f"{status} (dry run)" if obj.dry_run else status

    @admin.display(description="versions", ordering="to_version")
    def versions_display(self, obj: Deployment) -> str:
        if obj.from_version and obj.from_version != obj.to_version:
            return f"v{obj.from_version} → v{obj.to_version}"
        return f"v{obj.to_version}"

    @admin.display(description="phase", ordering="phase")
    def phase_display(self, obj: Deployment) -> str:
        if not obj.phase:
            return "—"
        return clipped(obj.phase_line, 48)

    @admin.display(description="error", ordering="error_category")
    def error_display(self, obj: Deployment) -> str:
        return error_cell(obj.error_category, obj.error_message)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "connection_user", "kind", "actor", "message_display")
    list_filter = ("kind",)
    list_select_related = ("connection__user", "actor")
    search_fields = ("connection__user__username", "kind", "message")
    ordering = ("-created_at", "-id")

    @admin.display(description="user", ordering="connection__user__username")
    def connection_user(self, obj: Event) -> str:
        return str(obj.connection.user)

    @admin.display(description="message")
    def message_display(self, obj: Event) -> str:
        return clipped(obj.message, 160) if obj.message else "—"
