"""``/metrics``: the Prometheus exposition, for operators and for a scraper holding the token.

Readable by a request presenting ``Authorization: Bearer <BYOD_METRICS_TOKEN>`` (compared in
constant time; never throttled, a scraper calls every few seconds) or by an active staff user
holding ``byod.view_metrics`` (superusers hold every permission). Everyone else, and any method
but GET, gets the site's plain 404: the endpoint does not say that it exists.
"""

from __future__ import annotations

import hmac

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from byod import metrics
from byod.conf import conf

PERMISSION = "byod.view_metrics"


@csrf_exempt  # a 404 for a POST, like any stranger gets (CSRF's 403 would say it exists)
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD") or not may_read_metrics(request):
        raise Http404
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type)


def may_read_metrics(request: HttpRequest) -> bool:
    presented = request.headers.get("Authorization")
    if presented is not None:  # a scraper: the token decides, whoever is logged in
        scheme, _, token = presented.partition(" ")
        expected = conf().metrics_token
        return (
            bool(expected)
            and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), expected.encode())
        )
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))
