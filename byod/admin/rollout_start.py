"""The admin's "Start a rollout": a form, its preview with the fields shown read-only, then
"Start" with the signed plan the preview showed. Starting refuses, with a fresh preview, when
anything differs now (a field, a connection added or gone, a new build); a way back needs
"allow downgrade" and its own box naming what it loses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from accounts.models import user_named
from byod import package
from byod.errors import ByodError
from byod.services.rollouts import control as rollouts
from byod.services.rollouts import plan as plans
from byod.services.rollouts import sizing

D = plans.PlanOptions()  # the safe defaults, shown as the form's initial values


class StartForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    canary_users = forms.CharField(
        required=False, help_text="Usernames or emails, separated by commas: deployed first."
    )
    canary_count = forms.IntegerField(
        min_value=0, initial=D.canary_count, help_text="…plus this many (0: use the share)."
    )
    canary_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=D.canary_percent,
        help_text="…or this share (%) of the others, at least one (0: no canary).",
    )
    wave_size = forms.IntegerField(min_value=1, initial=D.wave_size)
    max_in_flight = forms.IntegerField(
        min_value=1, initial=D.max_in_flight, label="Deploys in flight"
    )
    drivers = forms.IntegerField(
        min_value=1,
        initial=D.drivers,
        label="Driver tasks",
        help_text="Tasks that run the deploys, each on one task worker at a time, giving way "
        "to people's own tasks; deploys in flight are shared among them.",
    )
    stop_canary_failures = forms.IntegerField(
        min_value=1,
        required=False,
        initial=D.stop_canary_failures,
        label="Canary stop rule",
        help_text="Pause when the canary has this many failures (empty: the waves' rule).",
    )
    stop_failures = forms.IntegerField(
        min_value=1, required=False, help_text="Pause when a wave has this many failures…"
    )
    stop_failure_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        initial=D.stop_failure_percent,
        help_text="…or this share (%) failed.",
    )
    open_after_wave = forms.IntegerField(
        min_value=0,
        required=False,
        label="Offer to everyone after wave",
        help_text="Every user may update on their own once this wave ended (0: after the "
        "canary). Empty: each user when their wave is reached, everyone at the end.",
    )
    allow_downgrade = forms.BooleanField(
        required=False, help_text="Needed to go back to an older version."
    )

    def clean_canary_users(self) -> tuple[int, ...]:
        found = []
        for name in filter(None, (n.strip() for n in self.cleaned_data["canary_users"].split(","))):
            user = user_named(name)
            if user is None:
                raise forms.ValidationError(f"No user {name!r}.")
            found.append(user.pk)
        return tuple(found)

    def options(self) -> plans.PlanOptions:
        data = self.cleaned_data
        return plans.PlanOptions(
            version=data["version"],
            canary_users=data["canary_users"],
            canary_count=data["canary_count"],
            canary_percent=data["canary_percent"],
            wave_size=data["wave_size"],
            max_in_flight=data["max_in_flight"],
            drivers=data["drivers"],
            stop_failures=data["stop_failures"],
            stop_failure_percent=data["stop_failure_percent"],
            stop_canary_failures=data["stop_canary_failures"],
            open_after_wave=data["open_after_wave"],
            allow_downgrade=data["allow_downgrade"],
        )

    def shown(self) -> list[tuple[str, str]]:
        """(label, value) of each field, as the read-only review shows them."""
        rows = []
        for bound in self.visible_fields():
            value = self.cleaned_data.get(bound.name)
            if bound.name == "canary_users":
                value = self.data.get("canary_users", "")
            if isinstance(value, bool):
                value = "yes" if value else "no"
            rows.append((str(bound.label), "—" if value in (None, "") else str(value)))
        return rows


def blank_form() -> StartForm:
    return StartForm(initial={"version": package.current_version()})


def handle(request: HttpRequest, actor: Any) -> dict[str, Any]:
    """What the start page shows after a POST: the form, the preview (with `review` when the
    fields are shown read-only), a notice; or `started`, the rollout started."""
    form = StartForm(request.POST)
    action = request.POST.get("action", "preview")
    if not form.is_valid() or action == "edit":
        return {"form": form}
    options = form.options()
    if action == "start":
        refused = _refusal(request, form, options)
        if not refused:
            try:
                started = rollouts.start(
                    options,
                    actor=actor,
                    expect=_confirmed(request).parts,  # type: ignore[union-attr]
                    downgrade_confirmed=bool(request.POST.get("downgrade_confirmed")),
                )
            except ByodError as error:
                refused = error.user_message
            else:
                return {"started": started}
        form.add_error(None, refused)
    notice = ""
    if action == "count":
        made = plans.make_plan(options)
        queued = sizing.request_counts([c for c, _ in made.planned])
        notice = (
            f"Counting the documents of {queued} connection(s) on the workers: preview again "
            "in a moment to see them."
            if queued
            else "Every connection's documents are counted, or being counted."
        )
    seen = rollouts.preview(options)
    return {"form": form, "preview": seen, "review": seen.can_start, "notice": notice}


def _confirmed(request: HttpRequest) -> plans.Confirmation | None:
    return plans.Confirmation.read(request.POST.get("confirmation", ""))


def _refusal(request: HttpRequest, form: StartForm, options: plans.PlanOptions) -> str:
    """Why "Start" cannot start what was posted ("" when it may try)."""
    confirmed = _confirmed(request)
    if confirmed is None:
        return "Not started: this preview is missing or too old. Here is the plan as it is now."
    if confirmed.options.as_data() != options.as_data():
        return "Not started: a field changed after the preview. Here is the new plan."
    return ""
