"""Operators' view of rollouts: a start form with a preview and a confirmation
(`rollout_start.py`), a page per rollout with live progress (polled by htmx), and pause,
resume, abort and "offer to everyone" (pause, abort and offer ask first, each with its own
reason box). Every action goes through `byod.services.rollouts.control`, as
`manage.py byod_rollout` does."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django_htmx.http import HttpResponseStopPolling

from byod.admin import rollout_start
from byod.errors import ByodError
from byod.models import DeploymentStatus, MemberState, Rollout
from byod.services.rollouts import control as rollouts
from byod.services.rollouts.progress import progress
from byodsite.admin_lists import SafeListsMixin

PARTIAL = "byod/admin/_rollout_progress.html"


@admin.register(Rollout)
class RolloutAdmin(SafeListsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "__str__",
        "status",
        "current_wave",
        "waves",
        "failures",
        "started_by_display",
        "created_at",
    )
    list_filter = ("status", "version")
    # The plan, which never changes once started. What does change (status, wave, times, the
    # log) is in the progress panel above the form, which polls: fields here would go stale.
    readonly_fields = (
        "version",
        "package_hash",
        "canary_count",
        "canary_percent",
        "wave_size",
        "max_in_flight",
        "drivers",
        "stop_canary_failures",
        "stop_failures",
        "stop_failure_percent",
        "open_after_wave",
        "downgrade",
        "waves",
        "started_by_display",
        "created_at",
        "plan_digest",
    )
    fields = readonly_fields
    change_form_template = "byod/admin/rollout_change_form.html"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what reached whom stays

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rollout]:
        failed = Count("deployments", filter=Q(deployments__status=DeploymentStatus.FAILED))
        found: QuerySet[Rollout] = super().get_queryset(request).annotate(failed_deploys=failed)
        return found

    @admin.display(description="failures", ordering="failed_deploys")
    def failures(self, obj: Rollout) -> int:
        return getattr(obj, "failed_deploys", 0)

    @admin.display(description="started by", ordering="started_by")
    def started_by_display(self, obj: Rollout) -> str:
        return obj.started_by or (obj.created_by.get_username() if obj.created_by else "—")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("start/", view(self.start_view), name="byod_rollout_start"),
            path("<int:pk>/progress/", view(self.progress_view), name="byod_rollout_progress"),
            path("<int:pk>/control/", view(self.control_view), name="byod_rollout_control"),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:byod_rollout_start"))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Not a number is no rollout, whoever asks (it was a 500); then rights, then the row.
        try:
            pk = int(unquote(object_id))
        except ValueError:
            raise Http404("No such rollout.") from None
        if not self.has_view_permission(request):
            raise PermissionDenied
        rollout = get_object_or_404(Rollout, pk=pk)
        extra = {
            **(extra_context or {}),
            "progress": progress(rollout),
            "rollout": rollout,
            "title": f"Rollout #{rollout.pk} to v{rollout.version}",
            # A rollout is acted on with its controls; the form itself has nothing to save.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra)

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        rollout = get_object_or_404(Rollout, pk=pk)
        found = progress(rollout)
        response = TemplateResponse(request, PARTIAL, {"progress": found, "rollout": rollout})
        if not found.live:
            stopped = HttpResponseStopPolling(response.rendered_content)
            return stopped
        return response

    def control_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        rollout = get_object_or_404(Rollout, pk=pk)
        action = request.POST.get("action", "")
        if action not in ("pause", "resume", "abort", "open"):
            return HttpResponse(status=400)
        if action in ASKS_FIRST and not request.POST.get("confirmed"):
            return self._confirm(request, rollout, action)
        actor: Any = request.user
        reason = request.POST.get("reason", "").strip()
        try:
            if action == "pause":
                rollouts.pause(rollout, actor=actor, reason=reason)
                said = "Paused: running deploys finish, no new one starts."
            elif action == "resume":
                rollouts.resume(rollout, actor=actor)
                said = "Resumed."
            elif action == "abort":
                said = rollouts.abort(rollout, actor=actor, reason=reason).words(rollout)
            else:
                rollouts.open_to_everyone(rollout, actor=actor)
                said = f"v{rollout.version} is offered to every user now."
        except ByodError as error:
            self.message_user(request, error.user_message, messages.ERROR)
        else:
            self.message_user(request, said, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:byod_rollout_change", args=[rollout.pk]))

    def _confirm(self, request: HttpRequest, rollout: Rollout, action: str) -> HttpResponse:
        """The question before a pause, an abort or an offer to everyone: what it does to
        this rollout, with the action's own reason box."""
        members = rollout.members.values("state").annotate(n=Count("pk"))
        by_state = {row["state"]: row["n"] for row in members}
        deploys = rollout.deployments.values("status").annotate(n=Count("pk"))
        by_status = {row["status"]: row["n"] for row in deploys}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "rollout": rollout,
            "action": action,
            "title": ASKS_FIRST[action].format(pk=rollout.pk, version=rollout.version),
            "not_reached": by_state.get(MemberState.PENDING, 0),
            "queued": by_status.get(DeploymentStatus.QUEUED, 0),
            "running": by_status.get(DeploymentStatus.RUNNING, 0),
        }
        return TemplateResponse(request, "byod/admin/rollout_confirm.html", context)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        if request.method == "POST":
            shown = rollout_start.handle(request, request.user)
            started = shown.pop("started", None)
            if started is not None:
                self.message_user(request, f"{started} started.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:byod_rollout_change", args=[started.pk]))
        else:
            shown = {"form": rollout_start.blank_form()}
        context = {
            **self.admin_site.each_context(request),
            "title": "Start a rollout",
            "opts": self.model._meta,
            "preview": None,
            "review": False,
            "notice": "",
            **shown,
        }
        return TemplateResponse(request, "byod/admin/rollout_start.html", context)


# The controls that ask before acting, and their question.
ASKS_FIRST = {
    "pause": "Pause rollout #{pk} to v{version}?",
    "abort": "Abort rollout #{pk} to v{version}?",
    "open": "Offer v{version} to every user now (rollout #{pk})?",
}
