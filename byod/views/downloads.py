""" "Download my data": ask for one, the block it polls, and the link that serves the file.

The link opens for the logged-in owner only: another user (or a wrong token) gets 404, never a
hint that the download exists; an expired download answers 410. The file is streamed
(`FileResponse` reads it in blocks) as an attachment.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, HttpResponse, HttpResponseGone, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from byod.errors import ByodError
from byod.models import Download, DownloadStatus
from byod.services.downloads.run import ready_file, request_download
from byod.views.access import login_required
from byod.views.page import HtmxHttpRequest

log = logging.getLogger(__name__)

PARTIAL = "byod/_download.html#block"


def _unlogged(response: HttpResponse) -> HttpResponse:
    """Django logs every 4xx with its path, and the path holds the link's token: these are
    logged here instead, without it."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _partial(request: HtmxHttpRequest, **extra: Any) -> HttpResponse:
    return render(request, PARTIAL, extra)


@require_POST
@login_required
def ask(request: HtmxHttpRequest) -> HttpResponse:
    try:
        request_download(request.user, actor=request.user)
        notice, level = "Your download is being prepared.", messages.SUCCESS
    except ByodError as error:
        notice, level = error.user_message, messages.ERROR
    if request.htmx:
        words = "success" if level == messages.SUCCESS else "error"
        return _partial(request, download_notice=notice, download_notice_level=words)
    messages.add_message(request, level, notice)
    return redirect(reverse("byod:settings") + "#download")


@require_GET
@login_required
def status(request: HtmxHttpRequest) -> HttpResponse:
    """The block, polled while a download is prepared; 286 (stop polling) once it is not."""
    if not request.htmx:
        return redirect(reverse("byod:settings") + "#download")
    response = _partial(request)
    pending = Download.objects.filter(
        user_id=request.user.pk, status__in=(DownloadStatus.QUEUED, DownloadStatus.RUNNING)
    ).exists()
    return response if pending else HttpResponseStopPolling(response.content)


@require_GET
@login_required
def file(request: HtmxHttpRequest, token: str) -> HttpResponse:
    download = Download.objects.filter(token=token, user_id=request.user.pk).first()
    if download is None:
        log.info("download link of user %s: no such download of theirs", request.user.pk)
        return _unlogged(HttpResponseNotFound("No such download."))
    path = ready_file(download)
    if path is None:
        if download.status in (DownloadStatus.READY, DownloadStatus.EXPIRED):
            log.info("download %s: link opened after it expired", download.pk)
            return _unlogged(HttpResponseGone("This download expired and was deleted."))
        return _unlogged(HttpResponseNotFound("No such download."))
    day = download.requested_at.strftime("%Y-%m-%d")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=f"my-data-{day}.zip")
    response["Cache-Control"] = "private, no-store"
    # Streamed (the file read in blocks): an HttpResponse in all but its type.
    return cast(HttpResponse, response)
