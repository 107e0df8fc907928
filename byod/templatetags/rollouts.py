"""Template tags for what rollouts tell users (the settings page includes them as a partial,
so the page's view stays as it is)."""

from __future__ import annotations

from django import template

from byod.models import Connection
from byod.services.rollouts import aborted_note

register = template.Library()


@register.simple_tag
def rollout_note(connection: Connection | None) -> str:
    """The plain note for a user an aborted rollout left on their version, or ""."""
    return aborted_note(connection) if connection is not None else ""
