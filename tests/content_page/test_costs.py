"""What a page of the content page costs: exactly one function request to the deployment for
all its reads (counted by the emulator), and a bounded number of SQL statements."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.content_page.helpers import docs_of, op_of, start_conversation, text_of
from tests.fixtures.emulator import EmulatorDeployment

# Session and user (2), the content location (1, or 2 without a row: the main deployment's
# connection, with its owner for the key); never a query per document or per call.
MAX_SQL = 4


def test_every_page_reads_in_one_request_and_few_sql_statements(
    as_alice: Client,
    alice: User,
    main_deployment: EmulatorDeployment,
    django_assert_max_num_queries: Any,
) -> None:
    conv_id = start_conversation(as_alice, "Costed", "one")
    page = text_of(as_alice.get(reverse("content:notes")))
    as_alice.post(
        reverse("content:note_create"),
        {"op": op_of(page, "note-form"), "title": "n", "content": "c"},
    )
    [note] = docs_of(main_deployment, "notes", alice)
    pages = [
        reverse("content:index"),
        reverse("content:index") + "?show=archived",
        reverse("content:conversation", args=[conv_id]),
        reverse("content:notes"),
        reverse("content:note", args=[note["_id"]]),
    ]
    for url in pages:
        main_deployment.reset_calls()
        with django_assert_max_num_queries(MAX_SQL):
            answer = as_alice.get(url)
        assert answer.status_code == 200, url
        calls = main_deployment.calls()
        assert calls["requests"] == 1, (url, calls)


@pytest.mark.parametrize("documents", [0, 30])
def test_the_cost_does_not_grow_with_the_documents(
    as_alice: Client,
    alice: User,
    main_deployment: EmulatorDeployment,
    django_assert_max_num_queries: Any,
    documents: int,
) -> None:
    main_deployment.insert_many(
        "conversations",
        [
            {
                "userId": str(alice.external_id),
                "title": f"c{n}",
                "isArchived": n % 3 == 0,
                "isPinned": n % 4 == 0,
                "lastMessageAt": 1_765_000_000_000 + n,
                "createdAt": 1_765_000_000_000,
                "updatedAt": 1_765_000_000_000,
            }
            for n in range(documents)
        ],
    )
    main_deployment.reset_calls()
    with django_assert_max_num_queries(MAX_SQL):
        assert as_alice.get(reverse("content:index")).status_code == 200
    assert main_deployment.calls()["requests"] == 1
