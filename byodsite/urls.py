from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from byod.views.metrics import metrics_view

# The app list beside every admin page took 300 px from the lists operators read most
# (connections, deploys, events): at 1280-1440 px their last columns scrolled out of view.
admin.site.enable_nav_sidebar = False
admin.site.site_header = "BYOD operations"
admin.site.site_title = "BYOD admin"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("database/", include("byod.urls")),
    path("content/", include("byod.content_urls")),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),  # Prometheus' default path
]
