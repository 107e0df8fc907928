from __future__ import annotations

import pytest

from accounts.models import User

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)
