"""Removing a secret from text before it is kept anywhere: whole, or any long piece of it.

Texts get cut (a log line, a column) and a secret straddling the cut survives a search for
the whole secret; so `redact` removes every run of `MIN_FRAGMENT` or more characters that is
also a piece of the secret. Call it on text from outside before cutting it.
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

MIN_FRAGMENT = 8
MARK = "[redacted]"


@sensitive_variables("deploy_key")
def secret_of(deploy_key: str) -> str:
    """The secret part of a deploy key: what follows `|` (the name before it is public)."""
    return deploy_key.split("|", 1)[1] if "|" in deploy_key else deploy_key


@sensitive_variables("secrets", "secret")
def redact(text: str, *secrets: str) -> str:
    """`text` with every piece of each secret of `MIN_FRAGMENT` or more characters replaced."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        if _may_hold(text, secret):
            spans += _pieces(text, secret)
    if not spans:
        return text
    out, at = [], 0
    for start, end in _merged(spans):
        out += [text[at:start], MARK]
        at = end
    out.append(text[at:])
    return "".join(out)


def _may_hold(text: str, secret: str) -> bool:
    """False when `text` surely holds no piece of `secret`: any piece of MIN_FRAGMENT
    characters contains one of the secret's blocks of half that length at offsets 0, h, 2h...
    (a few fast searches instead of a look at every character)."""
    if len(secret) < MIN_FRAGMENT:
        return True
    half = MIN_FRAGMENT // 2
    return any(secret[i : i + half] in text for i in range(0, len(secret) - half + 1, half))


def _pieces(text: str, secret: str) -> list[tuple[int, int]]:
    size = min(MIN_FRAGMENT, len(secret))
    if size == 0:
        return []
    windows = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    spans = []
    i = 0
    while i <= len(text) - size:
        if text[i : i + size] in windows:
            end = i + size
            while end < len(text) and text[i : end + 1] in secret:
                end += 1
            spans.append((i, end))
            i = end
        else:
            i += 1
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
