"""Downloads of users' content, read-only: status, size, documents, expiry, errors. The link's
token is never shown (it opens the file for its owner only, but it is still theirs)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from byod.admin.records import ReadOnlyAdmin
from byod.admin.words import error_cell
from byod.models import Download


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "user",
        "status",
        "documents_display",
        "size",
        "error_display",
        "requested_at",
        "expires_at",
    )
    list_filter = ("status", "error_category")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-requested_at", "-id")
    hidden = ("token", "file_name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for f in super().get_readonly_fields(request, obj) if f not in self.hidden]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj)

    @admin.display(description="documents")
    def documents_display(self, obj: Download) -> str:
        return f"{obj.documents:,}" if obj.counts else "—"

    @admin.display(description="error", ordering="error_category")
    def error_display(self, obj: Download) -> str:
        return error_cell(obj.error_category, obj.error_message)
