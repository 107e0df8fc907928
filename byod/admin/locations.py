"""Where users' content lives, read-only: written only by connecting and disconnecting."""

from __future__ import annotations

from django.contrib import admin

from byod.admin.records import ReadOnlyAdmin
from byod.models import ContentLocation


@admin.register(ContentLocation)
class ContentLocationAdmin(ReadOnlyAdmin):
    """Users whose content is in their own deployment (everyone else's is in the main one)."""

    list_display = ("user", "kind", "connection", "changed_at")
    list_filter = ("kind",)
    list_select_related = ("user", "connection__user")
    search_fields = ("user__username", "user__email", "connection__url")
    ordering = ("-changed_at", "-id")
