"""Read-only inlines: the latest deploy attempts and events of a connection."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from byod.models import (
    Deployment,
    Event,
)


class LatestFirstFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Only the latest ``limit`` rows of an inline (the full list has its own admin page)."""

    limit = 5

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at", "-id")[: self.limit]
        return self._latest


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeploymentInline(ReadOnlyInline):
    model = Deployment
    formset = LatestFirstFormSet
    verbose_name_plural = "Latest deployment attempts"
    fields = (
        "created_at",
        "status",
        "trigger",
        "kind_display",
        "from_version",
        "to_version",
        "phase",
        "attempt",
        "error_category",
        "error_message",
    )
    readonly_fields = fields

    @admin.display(description="kind")
    def kind_display(self, obj: Deployment) -> str:
        # A word, not a red ✗ on every real deploy.
        return "Dry run" if obj.dry_run else "Deploy"


class EventFormSet(LatestFirstFormSet):
    limit = 20


class EventInline(ReadOnlyInline):
    model = Event
    formset = EventFormSet
    verbose_name_plural = "Audit events (latest 20)"
    fields = ("created_at", "kind", "actor", "message")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("actor")
