"""The project's URLs plus the settings page, until byodsite.urls mounts it itself."""

from __future__ import annotations

from django.urls import include, path

from byodsite.urls import urlpatterns as site_patterns

_mounted = any(getattr(p, "app_name", None) == "byod" for p in site_patterns)
urlpatterns = list(site_patterns)
if not _mounted:
    urlpatterns.append(path("database/", include("byod.urls")))
