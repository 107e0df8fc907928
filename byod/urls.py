"""The "Database" settings page, mounted at /database/ by byodsite.urls."""

from __future__ import annotations

from django.urls import path

from byod import views
from byod.views import counts, downloads, health

app_name = "byod"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("progress/", views.progress, name="progress"),
    path("history/", views.history, name="history"),
    path("check/", views.check, name="check"),
    path("connect/", views.connect, name="connect"),
    path("redeploy/", views.redeploy, name="redeploy"),
    path("credentials/", views.credentials, name="credentials"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("move/", views.move_progress, name="move_progress"),
    path("move/give-up/", views.give_up, name="give_up"),
    path("health/", health.panel, name="health"),
    path("health/check/", health.check_now, name="check_health"),
    path("notifications/", health.notifications, name="notifications"),
    path("contents/counts/", counts.panel, name="counts"),
    path("contents/count/", counts.count_now, name="count"),
    path("download/", downloads.ask, name="download"),
    path("download/status/", downloads.status, name="download_status"),
    path("download/<str:token>/", downloads.file, name="download_file"),
]
