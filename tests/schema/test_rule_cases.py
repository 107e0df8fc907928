"""The lint half of the shared schema rule cases (tests/schema/rule_cases.py).

The emulator half is tests/emulator/test_schema_rules.py: both are held to the backend's verdict.
"""

from __future__ import annotations

import pytest

from byod.schema import schema_from_export
from byod.schema.lint import lint
from tests.schema.rule_cases import CASES, RULES, Case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_lint_gives_the_backends_verdict(case: Case) -> None:
    # An export carries no owner declarations (Convex does not know them).
    findings = lint(schema_from_export(case.export), check_owner_declarations=False)
    assert sorted({f.code for f in findings}) == sorted(case.lint), [str(f) for f in findings]


def test_every_case_says_why_lint_and_backend_differ() -> None:
    for case in CASES:
        if case.backend is not None:
            assert case.lint, f"{case.name}: the backend refuses it; the lint must too"
            assert case.lint_only is None, case.name
        elif case.lint:
            assert case.lint_only, f"{case.name}: the lint refuses what the backend accepts"
        else:
            assert case.lint_only is None, case.name


def test_every_rule_has_a_refused_case() -> None:
    refused = {c.rule for c in CASES if c.backend is not None or c.lint_only}
    assert refused == set(RULES)
    assert {c.rule for c in CASES} <= set(RULES)
    assert len({c.name for c in CASES}) == len(CASES)
