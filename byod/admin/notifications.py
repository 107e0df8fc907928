"""Notification mails, read-only: what was owed, to whom, and whether it went out."""

from __future__ import annotations

from django.contrib import admin

from byod.admin.records import ReadOnlyAdmin
from byod.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "connection", "key", "status", "sent_at", "error")
    list_filter = ("kind", "status")
    list_select_related = ("connection__user",)
    search_fields = ("connection__user__username", "key", "dedup_key")
    ordering = ("-created_at", "-id")
