"""What a 500 may show: Django's debug page and the error mail, without any deploy key.

Django's SafeExceptionReporterFilter hides POST fields and local variables marked with
`sensitive_post_parameters` / `sensitive_variables`, but only when DEBUG is off; the quick
start runs with DEBUG on. This filter hides them always, and also hides any variable whose
value looks like a deploy key (cloud `prod:<name>|<token>` or self-hosted `<name>|<hex>`),
wherever it is, including frames of libraries we cannot decorate.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

KEY_SHAPES = re.compile(
    r"(?:prod|dev|preview):[A-Za-z0-9-]+\|[A-Za-z0-9+/=_.-]{16}"  # a cloud deploy key
    r"|[A-Za-z0-9_-]+\|[0-9a-fA-F]{16}"  # a self-hosted admin key
)
REPR_LIMIT = 200_000


def looks_like_a_key(value: Any) -> bool:
    try:
        text = value if isinstance(value, str) else repr(value)
    except Exception:  # a broken __repr__ must not break the error report
        return False
    return KEY_SHAPES.search(text[:REPR_LIMIT]) is not None


class SecretsFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True  # with DEBUG on too: the debug page is where keys were seen

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        return [
            (name, self.cleansed_substitute if looks_like_a_key(value) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
