"""Operators' view of every connection: versions, failures, and actions that go through the
services. Deploy keys are never shown: the ciphertext fields are excluded from every form."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from byod import package
from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentTrigger,
    Event,
    outdated_q,
)
from byod.services import connections, rollout
from byodsite.admin_lists import SafeListsMixin

SECRET_FIELDS = ("key_ciphertext",)


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
        "dry_run",
        "from_version",
        "to_version",
        "phase",
        "attempt",
        "error_category",
        "error_message",
    )
    readonly_fields = fields


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


@admin.register(Connection)
class ConnectionAdmin(SafeListsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "user",
        "deployment_name",
        "status",
        "deployed_version",
        "current_version_display",
        "outdated_display",
        "last_error_category",
        "last_deploy_at",
        "consecutive_failures",
    )
    list_filter = (
        "status",
        OutdatedFilter,
        "last_error_category",
        DeployedVersionFilter,
    )
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "deployment_name", "url")
    ordering = ("-updated_at",)
    exclude = SECRET_FIELDS
    readonly_fields = (
        "user",
        "url",
        "deployment_name",
        "has_key_display",
        "key_id",
        "key_changed_at",
        "status",
        "deployed_version",
        "deployed_package_hash",
        "current_version_display",
        "last_error_category",
        "last_error_message",
        "last_error_at",
        "consecutive_failures",
        "lease_owner",
        "lease_expires_at",
        "last_deploy_at",
        "last_check_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (DeploymentInline, EventInline)
    actions = ("deploy_current_version", "dry_run", "check_credentials")
    change_list_template = "byod/admin/connection_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # users connect on their settings page; commands exist for operators

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would drop the audit trail; users disconnect instead

    @admin.display(description="current version")
    def current_version_display(self, obj: Connection) -> int:
        return package.current_version()

    @admin.display(description="outdated", boolean=True)
    def outdated_display(self, obj: Connection) -> bool:
        return obj.is_outdated

    @admin.display(description="deploy key stored", boolean=True)
    def has_key_display(self, obj: Connection) -> bool:
        return obj.has_key

    # --- the summary shown above the list ---------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["summary"] = connection_summary()
        return response

    # --- actions: each goes through the services and reports counts ---------------------------

    @admin.action(description="Deploy the current version", permissions=["change"])
    def deploy_current_version(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        self._request(request, queryset, dry_run=False)

    @admin.action(description="Dry run the current version (push nothing)", permissions=["change"])
    def dry_run(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        self._request(request, queryset, dry_run=True)

    def _request(
        self, request: HttpRequest, queryset: QuerySet[Connection], *, dry_run: bool
    ) -> None:
        counts = rollout.queue_deploys(
            queryset.select_related("user"),
            trigger=DeploymentTrigger.ADMIN,
            actor=request.user,  # type: ignore[arg-type]
            dry_run=dry_run,
        )
        what = "Dry runs" if dry_run else "Deploys"
        self.message_user(request, f"{what}: {_counts(counts)}.", messages.SUCCESS)

    @admin.action(description="Check credentials now", permissions=["change"])
    def check_credentials(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        selected = list(queryset.select_related("user")[: CHECK_LIMIT + 1])
        if len(selected) > CHECK_LIMIT:
            self.message_user(
                request,
                f"Choose at most {CHECK_LIMIT} connections for a check here (each check "
                "calls the deployment); the management commands handle more.",
                messages.WARNING,
            )
            return
        counts: Counter[str] = Counter()
        for connection in selected:
            result = connections.check_stored(connection)
            counts["valid" if result.error is None else f"failed: {result.error.category}"] += 1
        level = messages.SUCCESS if set(counts) <= {"valid"} else messages.WARNING
        self.message_user(request, f"Credential checks: {_counts(counts)}.", level)


CHECK_LIMIT = 50


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.most_common()) or "nothing selected"


def connection_summary() -> dict[str, Any]:
    """Users per deployed version, failing connections, failures by category: three queries."""
    per_version = list(
        Connection.objects.active()
        .values("deployed_version")
        .annotate(n=Count("id"))
        .order_by("-deployed_version")
    )
    by_category = list(
        Connection.objects.failing()
        .values("last_error_category")
        .annotate(n=Count("id"))
        .order_by("-n", "last_error_category")
    )
    totals = Connection.objects.aggregate(
        active=Count("id", filter=~Q(status=ConnectionStatus.DISCONNECTED)),
        failing=Count("id", filter=Q(status=ConnectionStatus.ERROR)),
        deploying=Count("id", filter=Q(status=ConnectionStatus.DEPLOYING)),
        outdated=Count("id", filter=outdated_q()),
    )
    return {
        "current_version": package.current_version(),
        "per_version": per_version,
        "by_category": by_category,
        **totals,
    }


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
    list_filter = ("status", "trigger", "dry_run", "to_version", "error_category")
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
