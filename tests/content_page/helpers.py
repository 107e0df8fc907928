"""What the content page's tests read back from the deployment, and how they post its forms."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.fixtures.emulator import EmulatorDeployment

HTMX = {"HTTP_HX_REQUEST": "true"}


def docs_of(dep: EmulatorDeployment, table: str, user: User) -> list[dict[str, Any]]:
    """`user`'s documents of `table` in the deployment (read through the emulator's control
    API, not through the page)."""
    return [d for d in dep.documents(table) if d.get("userId") == str(user.external_id)]


def op_of(html: str, form_id: str) -> str:
    """The operation id the form `form_id` was rendered with."""
    found = re.search(rf'id="{form_id}-op"[^>]*value="([0-9a-f]{{32}})"', html) or re.search(
        rf'value="([0-9a-f]{{32}})"[^>]*id="{form_id}-op"', html
    )
    assert found, f"no operation id in #{form_id}"
    return found.group(1)


def start_conversation(client: Client, title: str, content: str = "") -> str:
    """Post "New conversation" as the page renders it; returns the new conversation's id."""
    page = client.get(reverse("content:index")).content.decode()
    op = op_of(page, "new-conversation")
    answer = client.post(reverse("content:create"), {"op": op, "title": title, "content": content})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    found = re.match(r"^/content/c/([^/]+)/$", answer["Location"])
    assert found, answer["Location"]
    return found.group(1)


def text_of(response: Any) -> str:
    return str(response.content.decode())
