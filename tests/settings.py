"""Settings for the test suite: the real settings, given test-only secrets when none are set.

pytest-django imports settings before any conftest runs, so the environment is filled in
here. Keys are random per run: nothing secret is committed, and a leak would not repeat.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from byodsite.env import new_encryption_key_entry

os.environ.setdefault("DJANGO_SECRET_KEY", "test-" + os.urandom(24).hex())
os.environ.setdefault("BYOD_ENCRYPTION_KEYS", new_encryption_key_entry("test1"))
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from byodsite.settings import *  # noqa: F403  (the real settings, nothing local)

# Hashing passwords slowly is the point in production and a waste in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# No collectstatic before tests: plain static storage (production's manifest needs one).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="byod-test-static-"))  # exists, stays empty
