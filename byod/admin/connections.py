"""Operators' view of every connection: versions, failures, and actions through the services.

Deploy keys are never shown: the ciphertext fields are excluded from every form."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from byod import package
from byod.admin.filters import (
    DeployedVersionFilter,
    ErrorCategoryFilter,
    HealthFilter,
    OutdatedFilter,
)
from byod.admin.inlines import DeploymentInline, EventInline
from byod.admin.words import error_cell, when
from byod.errors import DRIFT
from byod.models import (
    Connection,
    ConnectionStatus,
    DeploymentTrigger,
    Health,
    outdated_q,
)
from byod.services import health
from byod.services.deploys import batch
from byodsite.admin_lists import SafeListsMixin

SECRET_FIELDS = ("key_ciphertext",)


@admin.register(Connection)
class ConnectionAdmin(SafeListsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "user",
        "deployment_display",
        "status",
        "version_display",
        "health_display",
        "last_error_display",
        "failures_display",
        "last_deploy_display",
        "last_check_display",
    )
    list_display_links = ("user",)
    list_filter = (
        "is_main",
        "status",
        HealthFilter,
        OutdatedFilter,
        ErrorCategoryFilter,
        DeployedVersionFilter,
    )
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "deployment_name", "url")
    ordering = ("-updated_at",)
    exclude = SECRET_FIELDS
    readonly_fields = (
        "user",
        "role_display",
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
        "lease_kind",
        "lease_expires_at",
        "last_deploy_at",
        "last_check_at",
        "health",
        "health_reason",
        "health_message",
        "health_detail",
        "health_changed_at",
        "health_source",
        "consecutive_successes",
        "last_check_ms",
        "next_check_at",
        "check_requested_at",
        "table_counts_at",
        "count_error",
        "email_notifications_display",
        "site_url",
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

    @admin.display(description="role")
    def role_display(self, obj: Connection) -> str:
        # Words, as everywhere on this page: a check-mark icon says nothing to a reader.
        if obj.is_main:
            return "The main deployment: it holds the content of every user without their own."
        return "A user's own deployment."

    @admin.display(description="deployment", ordering="deployment_name")
    def deployment_display(self, obj: Connection) -> str:
        # The main deployment holds the content of every user without their own: said beside
        # its name (a column of its own did not fit the list at 1440 px).
        name = obj.deployment_name or "-"
        return f"{name} (main)" if obj.is_main else name

    @admin.display(description="current version")
    def current_version_display(self, obj: Connection) -> int:
        return package.current_version()

    @admin.display(description="version", ordering="deployed_version")
    def version_display(self, obj: Connection) -> str:
        # Words, not a ✓/✗: a sea of red icons on up-to-date rows said the opposite.
        return _version_words(obj)

    @admin.display(description="last deploy", ordering="last_deploy_at")
    def last_deploy_display(self, obj: Connection) -> str:
        # The last successful deploy (a failure does not move it).
        return when(obj.last_deploy_at)

    @admin.display(description="last check", ordering="last_check_at")
    def last_check_display(self, obj: Connection) -> str:
        return when(obj.last_check_at)

    @admin.display(description="failures", ordering="consecutive_failures")
    def failures_display(self, obj: Connection) -> int:
        return obj.consecutive_failures

    @admin.display(description="last error", ordering="last_error_category")
    def last_error_display(self, obj: Connection) -> str:
        return error_cell(obj.last_error_category, obj.last_error_message, 60)

    @admin.display(description="health", ordering="health")
    def health_display(self, obj: Connection) -> str:
        # The same words as the user's page: nothing for a disconnected one (no key, no checks).
        if obj.status == ConnectionStatus.DISCONNECTED:
            return "— (disconnected)"
        if obj.health in ("unhealthy", "degraded"):
            said = f"{obj.get_health_display()}: {obj.health_reason_label}"
            return f"{said} (found by a deploy)" if obj.health_source == "deploy" else said
        return obj.get_health_display()

    @admin.display(description="email notifications")
    def email_notifications_display(self, obj: Connection) -> str:
        return "On" if obj.email_notifications else "Off (the user opted out)"

    @admin.display(description="deploy key")
    def has_key_display(self, obj: Connection) -> str:
        return "Stored (encrypted)" if obj.has_key else "None stored"

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
        counts = batch.queue_deploys(
            queryset.select_related("user"),
            trigger=DeploymentTrigger.ADMIN,
            actor=request.user,  # type: ignore[arg-type]
            dry_run=dry_run,
        )
        what = "Dry runs" if dry_run else "Deploys"
        self.message_user(request, f"{what}: {_counts(counts)}.", messages.SUCCESS)

    @admin.action(description="Check credentials now", permissions=["change"])
    def check_credentials(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        # Probes run on the workers (any number of connections); this only queues them.
        queued = health.queue_checks(queryset)
        skipped = queryset.count() - queued
        said = f"Health checks queued for {queued} connection(s); results appear as they finish."
        if skipped:
            said += f" {skipped} skipped (disconnected, no key, or being deployed)."
        self.message_user(request, said, messages.SUCCESS if queued else messages.WARNING)


def _version_words(obj: Connection) -> str:
    current = package.current_version()
    if obj.status == ConnectionStatus.DISCONNECTED:
        return f"v{obj.deployed_version} (disconnected)" if obj.deployed_version else "—"
    if obj.health == Health.UNHEALTHY and obj.health_reason == DRIFT:
        deployed = obj.deployed_version or obj.pushed_version
        return f"Drift: runs something other than our v{deployed}"
    if obj.deployed_version is None:
        return f"None yet (current v{current})"
    if obj.is_outdated:  # the one rule for "outdated"
        return f"Outdated (v{obj.deployed_version} → v{current})"
    return f"v{obj.deployed_version}, up to date"


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.most_common()) or "nothing selected"


def connection_summary() -> dict[str, Any]:
    """Users per deployed version, failing connections, failures by category, health states:
    four queries."""
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
    active = ~Q(status=ConnectionStatus.DISCONNECTED)
    totals = Connection.objects.aggregate(
        active=Count("id", filter=~Q(status=ConnectionStatus.DISCONNECTED)),
        failing=Count("id", filter=Q(status=ConnectionStatus.ERROR)),
        deploying=Count("id", filter=Q(status=ConnectionStatus.DEPLOYING)),
        outdated=Count("id", filter=outdated_q()),
        never_checked=Count("id", filter=active & Q(health=Health.UNKNOWN)),
        healthy=Count("id", filter=active & Q(health=Health.HEALTHY)),
        degraded=Count("id", filter=active & Q(health=Health.DEGRADED)),
        unhealthy=Count("id", filter=active & Q(health=Health.UNHEALTHY)),
        drift=Count("id", filter=active & Q(health=Health.UNHEALTHY, health_reason=DRIFT)),
    )
    unhealthy_by_reason = list(
        Connection.objects.unhealthy()
        .values("health_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "health_reason")
    )
    return {
        "current_version": package.current_version(),
        "per_version": per_version,
        "by_category": by_category,
        "unhealthy_by_reason": unhealthy_by_reason,
        **totals,
    }
