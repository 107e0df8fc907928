"""Login for the settings page, htmx-aware: an expired session on a polled or posted partial
sends the whole browser to the login page instead of swapping the login form into a panel."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

View = Callable[..., HttpResponse]


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        # After logging in, come back to the page, not to an action or a partial.
        back = request.get_full_path() if request.method == "GET" else reverse("byod:settings")
        if getattr(request, "htmx", False):
            back = reverse("byod:settings")
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(login_url)
        return redirect(login_url)

    return wrapped
