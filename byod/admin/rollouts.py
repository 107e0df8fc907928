"""Operators' view of rollouts: a start form with a preview and a confirmation, a page per
rollout with live progress (polled by htmx), and pause, resume and abort. Every action goes
through `byod.services.rollouts.control`, as `manage.py byod_rollout` does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django_htmx.http import HttpResponseStopPolling

from accounts.models import user_named
from byod import package
from byod.errors import ByodError
from byod.models import Rollout
from byod.services.rollouts import control as rollouts
from byod.services.rollouts.progress import progress
from byodsite.admin_lists import SafeListsMixin

PARTIAL = "byod/admin/_rollout_progress.html"


class StartForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    canary_users = forms.CharField(
        required=False, help_text="Usernames or emails, separated by commas: deployed first."
    )
    canary_count = forms.IntegerField(min_value=0, initial=0, help_text="…plus this many.")
    canary_percent = forms.IntegerField(
        min_value=0, max_value=100, initial=0, help_text="…or this share (%) of the others."
    )
    wave_size = forms.IntegerField(min_value=1, initial=100)
    max_in_flight = forms.IntegerField(min_value=1, initial=10, label="Deploys in flight")
    drivers = forms.IntegerField(
        min_value=1,
        initial=2,
        label="Driver tasks",
        help_text="Tasks that run the deploys, each on one task worker at a time, giving way "
        "to people's own tasks; deploys in flight are shared among them.",
    )
    stop_failures = forms.IntegerField(
        min_value=1, required=False, help_text="Pause when a wave has this many failures…"
    )
    stop_failure_percent = forms.IntegerField(
        min_value=1, max_value=100, required=False, help_text="…or this share (%) failed."
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_canary_users(self) -> tuple[int, ...]:
        found = []
        for name in filter(None, (n.strip() for n in self.cleaned_data["canary_users"].split(","))):
            user = user_named(name)
            if user is None:
                raise forms.ValidationError(f"No user {name!r}.")
            found.append(user.pk)
        return tuple(found)

    def options(self) -> rollouts.PlanOptions:
        data = self.cleaned_data
        return rollouts.PlanOptions(
            version=data["version"],
            canary_users=data["canary_users"],
            canary_count=data["canary_count"],
            canary_percent=data["canary_percent"],
            wave_size=data["wave_size"],
            max_in_flight=data["max_in_flight"],
            drivers=data["drivers"],
            stop_failures=data["stop_failures"],
            stop_failure_percent=data["stop_failure_percent"],
        )


@admin.register(Rollout)
class RolloutAdmin(SafeListsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "status", "current_wave", "waves", "created_by", "created_at")
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
        "stop_failures",
        "stop_failure_percent",
        "waves",
        "created_by",
        "created_at",
    )
    fields = readonly_fields
    change_form_template = "byod/admin/rollout_change_form.html"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what reached whom stays

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
        actor: Any = request.user
        try:
            if action == "pause":
                rollouts.pause(rollout, actor=actor)
                said = "Paused: running deploys finish, no new one starts."
            elif action == "resume":
                rollouts.resume(rollout, actor=actor)
                said = "Resumed."
            elif action == "abort":
                n = rollouts.abort(rollout, actor=actor, reason=request.POST.get("reason", ""))
                said = f"Aborted: {n} queued deploy(s) cancelled; running ones finish."
            else:
                return HttpResponse(status=400)
        except ByodError as error:
            self.message_user(request, error.user_message, messages.ERROR)
        else:
            self.message_user(request, said, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:byod_rollout_change", args=[rollout.pk]))

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        preview = None
        if request.method == "POST":
            form = StartForm(request.POST)
            if form.is_valid():
                options = form.options()
                preview = rollouts.preview(options)
                if form.cleaned_data["confirmed"] and preview.can_start:
                    try:
                        rollout = rollouts.start(options, actor=request.user)  # type: ignore[arg-type]
                    except ByodError as error:
                        form.add_error(None, error.user_message)
                    else:
                        self.message_user(request, f"{rollout} started.", messages.SUCCESS)
                        url = reverse("admin:byod_rollout_change", args=[rollout.pk])
                        return HttpResponseRedirect(url)
                # Shown again with the preview; the next submit confirms what was seen.
                data = request.POST.copy()
                data["confirmed"] = "on" if preview.can_start else ""
                form = StartForm(data)
                form.is_valid()
        else:
            form = StartForm(initial={"version": package.current_version()})
        context = {
            **self.admin_site.each_context(request),
            "title": "Start a rollout",
            "form": form,
            "preview": preview,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "byod/admin/rollout_start.html", context)
