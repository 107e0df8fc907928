"""The history of data migrations, read-only: every run on every connection, like Flyway's
schema history. Filters: failed (status), by version, dry runs, direction."""

from __future__ import annotations

from django.contrib import admin

from byod.admin.records import ReadOnlyAdmin
from byod.models import MigrationRun


@admin.register(MigrationRun)
class MigrationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "connection_user",
        "version",
        "name",
        "table",
        "direction",
        "dry_run",
        "status",
        "progress",
        "changed",
        "started_at",
        "duration_display",
        "failed_document_id",
        "short_error",
    )
    list_filter = ("status", "version", "dry_run", "direction", "table")
    list_select_related = ("connection__user",)
    search_fields = (
        "connection__user__username",
        "connection__deployment_name",
        "name",
        "failed_document_id",
    )
    ordering = ("-started_at", "-id")
    date_hierarchy = "started_at"

    @admin.display(description="user", ordering="connection__user__username")
    def connection_user(self, obj: MigrationRun) -> str:
        return str(obj.connection.user)

    @admin.display(description="documents")
    def progress(self, obj: MigrationRun) -> str:
        return obj.progress_text

    @admin.display(description="duration")
    def duration_display(self, obj: MigrationRun) -> str:
        return f"{obj.duration.total_seconds():.1f} s" if obj.duration else "—"

    @admin.display(description="error")
    def short_error(self, obj: MigrationRun) -> str:
        text = obj.error_message
        return text if len(text) <= 120 else text[:119] + "…"
