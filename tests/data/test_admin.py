"""The admin shows the main deployment as "main" and where users' content lives."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from tests.data.conftest import content_in, main_at
from tests.fixtures.people import client_for


def test_the_admin_marks_the_main_deployment_and_lists_locations(staff: User, owner: User) -> None:
    main = main_at("https://main-one.convex.cloud", deployment_name="main-one")
    content_in(owner, "https://own-one.convex.cloud", name="own-one")
    admin = client_for(staff)
    listed = admin.get(reverse("admin:byod_connection_changelist")).content.decode()
    assert ">main-one (main)<" in listed and ">own-one<" in listed
    only_main = admin.get(reverse("admin:byod_connection_changelist") + "?is_main__exact=1")
    shown = only_main.content.decode()
    assert str(main.user) in shown and "own-one" not in shown
    places = admin.get(reverse("admin:byod_contentlocation_changelist"))
    assert places.status_code == 200
    assert "owner" in places.content.decode()
