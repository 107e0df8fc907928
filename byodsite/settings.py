"""Settings, read from the environment (see the README's table of variables).

Nothing secret has a default: without DJANGO_SECRET_KEY or BYOD_ENCRYPTION_KEYS the
project refuses to start. The quick start writes both into the ignored `.local.env`.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from byodsite.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_encryption_keys,
    require_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = require_secret("DJANGO_SECRET_KEY", why="It signs sessions and password-reset links.")
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "accounts",
    # Before django_tasks_db: its `db_worker` command is ours (going on through database errors).
    "byod",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "byodsite.urls"
WSGI_APPLICATION = "byodsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR = BASE_DIR / "var"  # local state of a checkout (SQLite file, collected static)
_default_database_url = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_database_url),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to one file: WAL lets readers go on
    # while a writer commits, IMMEDIATE transactions avoid upgrade deadlocks, and the
    # timeout makes a writer wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("BYOD_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email (Django 6.1 mailers; console by default: reset emails print to the log) ------
EMAIL_BACKEND_PATH = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_smtp_options = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 25),
    "username": env_str("EMAIL_HOST_USER", ""),
    "password": env_secret("EMAIL_HOST_PASSWORD") or "",
    "use_tls": env_bool("EMAIL_USE_TLS", default=False),
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": _smtp_options if EMAIL_BACKEND_PATH.endswith(".smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "byod@localhost")

# --- i18n / static --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["byodsite.formats"]  # one date format, admin included
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
# WhiteNoise serves static files from the WSGI server itself: from the app directories as
# they are while DEBUG is on, from STATIC_ROOT (after collectstatic: compressed, with hashed
# names cached forever) when it is off.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- HTTPS hardening (on unless DEBUG) --------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only our own scripts, styles and images; no inline code anywhere (htmx is told not to add
# its indicator style; the admin runs under it too).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Error reports (debug page, error mail) hide deploy keys, DEBUG on or off ------------
DEFAULT_EXCEPTION_REPORTER_FILTER = "byodsite.error_reports.SecretsFilter"

# --- Logging: to stderr; deploy keys never reach a log line (see byod.redaction) --------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- BYOD -------------------------------------------------------------------------------
# Key ring for deploy keys at rest: the first key encrypts, all of them decrypt.
BYOD_ENCRYPTION_KEYS = parse_encryption_keys(
    require_secret(
        "BYOD_ENCRYPTION_KEYS",
        why="It encrypts users' Convex deploy keys; generate one with `python -m byodsite.keygen`.",
    )
)
# Self-hosted Convex deployments the operator allows, as host[:port] entries.
BYOD_ALLOWED_HOSTS = env_list("BYOD_ALLOWED_HOSTS")
BYOD_CONNECT_TIMEOUT = env_float("BYOD_CONNECT_TIMEOUT", 5.0)
BYOD_READ_TIMEOUT = env_float("BYOD_READ_TIMEOUT", 30.0)
# Calls to users' deployments, by purpose (byod.client.budget.Purpose): seconds to connect, the
# longest silence while reading, the deadline of one whole call (a deployment that trickles its
# answer is cut off there), and of all the calls of one check, probe or count (0 = none).
BYOD_CHECK_CONNECT_SECONDS = env_float("BYOD_CHECK_CONNECT_SECONDS", 5.0)
BYOD_CHECK_READ_SECONDS = env_float("BYOD_CHECK_READ_SECONDS", 10.0)
BYOD_CHECK_CALL_SECONDS = env_float("BYOD_CHECK_CALL_SECONDS", 10.0)
BYOD_CHECK_TOTAL_SECONDS = env_float("BYOD_CHECK_TOTAL_SECONDS", 20.0)
BYOD_DEPLOY_CONNECT_SECONDS = env_float("BYOD_DEPLOY_CONNECT_SECONDS", BYOD_CONNECT_TIMEOUT)
BYOD_DEPLOY_READ_SECONDS = env_float("BYOD_DEPLOY_READ_SECONDS", BYOD_READ_TIMEOUT)
BYOD_DEPLOY_CALL_SECONDS = env_float("BYOD_DEPLOY_CALL_SECONDS", 60.0)
BYOD_DEPLOY_TOTAL_SECONDS = env_float("BYOD_DEPLOY_TOTAL_SECONDS", 0.0)
BYOD_COUNT_CONNECT_SECONDS = env_float("BYOD_COUNT_CONNECT_SECONDS", 5.0)
BYOD_COUNT_READ_SECONDS = env_float("BYOD_COUNT_READ_SECONDS", 30.0)
BYOD_COUNT_CALL_SECONDS = env_float("BYOD_COUNT_CALL_SECONDS", 30.0)
BYOD_COUNT_TOTAL_SECONDS = env_float("BYOD_COUNT_TOTAL_SECONDS", 300.0)
BYOD_DATA_WEB_CONNECT_SECONDS = env_float("BYOD_DATA_WEB_CONNECT_SECONDS", 3.0)
BYOD_DATA_WEB_READ_SECONDS = env_float("BYOD_DATA_WEB_READ_SECONDS", 5.0)
BYOD_DATA_WEB_CALL_SECONDS = env_float("BYOD_DATA_WEB_CALL_SECONDS", 5.0)
BYOD_DATA_WEB_TOTAL_SECONDS = env_float("BYOD_DATA_WEB_TOTAL_SECONDS", 10.0)
BYOD_DATA_WORKER_CONNECT_SECONDS = env_float("BYOD_DATA_WORKER_CONNECT_SECONDS", 5.0)
BYOD_DATA_WORKER_READ_SECONDS = env_float("BYOD_DATA_WORKER_READ_SECONDS", 30.0)
BYOD_DATA_WORKER_CALL_SECONDS = env_float("BYOD_DATA_WORKER_CALL_SECONDS", 60.0)
BYOD_DATA_WORKER_TOTAL_SECONDS = env_float("BYOD_DATA_WORKER_TOTAL_SECONDS", 0.0)
# Connection pools kept for that many deployments at most (least recently used ones closed),
# and how long the addresses the SSRF guard vetted for one are reused before resolving again.
BYOD_CLIENT_DESTINATIONS = env_int("BYOD_CLIENT_DESTINATIONS", 256)
BYOD_DNS_PIN_SECONDS = env_float("BYOD_DNS_PIN_SECONDS", 60.0)
# Throttles: (at most N, per S seconds) for each scope:key. "callout" is every action that
# makes the server call a deployment (check, connect, new credentials); "login" every login.
BYOD_THROTTLES = {
    "callout:user": (env_int("BYOD_THROTTLE_CALLOUTS_PER_USER", 20), 60),
    "callout:address": (env_int("BYOD_THROTTLE_CALLOUTS_PER_ADDRESS", 60), 60),
    "login:username": (env_int("BYOD_THROTTLE_LOGINS_PER_USERNAME", 10), 900),
    "login:address": (env_int("BYOD_THROTTLE_LOGINS_PER_ADDRESS", 50), 900),
}
# The longest a deploy waits for its schema (index backfill, validating documents).
BYOD_SCHEMA_WAIT_SECONDS = env_float("BYOD_SCHEMA_WAIT_SECONDS", 1800.0)
# Deploys: the lease a worker holds on a connection (0 = max(60, 3 x read timeout)), and
# the retry schedule for transient failures (exponential backoff with jitter, capped).
BYOD_DEPLOY_LEASE_SECONDS = env_float("BYOD_DEPLOY_LEASE_SECONDS", 0.0)
BYOD_DEPLOY_RETRY_BASE_SECONDS = env_float("BYOD_DEPLOY_RETRY_BASE_SECONDS", 10.0)
BYOD_DEPLOY_RETRY_CAP_SECONDS = env_float("BYOD_DEPLOY_RETRY_CAP_SECONDS", 900.0)
BYOD_DEPLOY_MAX_ATTEMPTS = env_int("BYOD_DEPLOY_MAX_ATTEMPTS", 5)

# --- Health checks, the scheduler and notifications (README: "Health and notifications") --
INSTALLED_APPS += ["django_periodic_tasks"]
# The scheduler enqueues a health sweep every N minutes (a divisor of 60: a cron schedule).
# Ranges and relations of every BYOD_* setting are checked at start by byod.conf.
BYOD_HEALTH_SWEEP_MINUTES = env_int("BYOD_HEALTH_SWEEP_MINUTES", 1)
# How often each connection is probed when healthy (jittered +-10%), how soon after a failed
# probe (doubling per failure up to the cap while unhealthy), and the hysteresis.
BYOD_HEALTH_INTERVAL_SECONDS = env_float("BYOD_HEALTH_INTERVAL_SECONDS", 900.0)
BYOD_HEALTH_RETRY_SECONDS = env_float("BYOD_HEALTH_RETRY_SECONDS", 60.0)
BYOD_HEALTH_BACKOFF_CAP_SECONDS = env_float("BYOD_HEALTH_BACKOFF_CAP_SECONDS", 3600.0)
BYOD_HEALTH_FAILURES_TO_UNHEALTHY = env_int("BYOD_HEALTH_FAILURES_TO_UNHEALTHY", 3)
BYOD_HEALTH_SUCCESSES_TO_HEALTHY = env_int("BYOD_HEALTH_SUCCESSES_TO_HEALTHY", 2)
# One probe's calls: strict timeouts; probes at once per worker; connections per batch task.
BYOD_HEALTH_TIMEOUT_SECONDS = env_float("BYOD_HEALTH_TIMEOUT_SECONDS", 10.0)
BYOD_HEALTH_CONNECT_SECONDS = env_float("BYOD_HEALTH_CONNECT_SECONDS", BYOD_HEALTH_TIMEOUT_SECONDS)
BYOD_HEALTH_READ_SECONDS = env_float("BYOD_HEALTH_READ_SECONDS", BYOD_HEALTH_TIMEOUT_SECONDS)
BYOD_HEALTH_CALL_SECONDS = env_float("BYOD_HEALTH_CALL_SECONDS", BYOD_HEALTH_TIMEOUT_SECONDS)
BYOD_HEALTH_TOTAL_SECONDS = env_float("BYOD_HEALTH_TOTAL_SECONDS", 2 * BYOD_HEALTH_TIMEOUT_SECONDS)
BYOD_HEALTH_CONCURRENCY = env_int("BYOD_HEALTH_CONCURRENCY", 32)
BYOD_HEALTH_BATCH_SIZE = env_int("BYOD_HEALTH_BATCH_SIZE", 250)
# Redeploy on drift (something else was pushed over our package) without asking anyone.
BYOD_HEALTH_REPAIR_DRIFT = env_bool("BYOD_HEALTH_REPAIR_DRIFT", default=False)
# Mails link back here (they are sent by the worker, which has no request to ask). Unset: to
# the address each user last reached the site at, else (DEBUG) http://127.0.0.1:8000, else no
# link (byod.services.site).
BYOD_SITE_URL = env_str("BYOD_SITE_URL", "").rstrip("/")
# The main deployment: the operator's own Convex deployment, holding the content of every user
# without their own (byod.data). Empty: none (such users are told they are not connected).
BYOD_MAIN_DEPLOYMENT_URL = env_str("BYOD_MAIN_DEPLOYMENT_URL", "").rstrip("/")
BYOD_MAIN_DEPLOYMENT_KEY_FILE = env_str("BYOD_MAIN_DEPLOYMENT_KEY_FILE", "")
# A request's failures count toward its deployment's health at most once per this many seconds
# per process (a burst of failing requests writes a bounded number of rows).
BYOD_DATA_HEALTH_GAP_SECONDS = env_float("BYOD_DATA_HEALTH_GAP_SECONDS", 1.0)
# The main deployment's breaker, opened by failing requests, lets one request try after this
# many seconds (half-open): its success closes it, its failure opens it again for as long.
BYOD_DATA_BREAKER_COOLDOWN_SECONDS = env_float("BYOD_DATA_BREAKER_COOLDOWN_SECONDS", 30.0)
# Moving content between deployments (issue 20; README "Moving content").
BYOD_MOVES_ENABLED = env_bool("BYOD_MOVES_ENABLED", default=True)
BYOD_MOVE_KEEP_DAYS = env_float("BYOD_MOVE_KEEP_DAYS", 7.0)
BYOD_MOVE_BATCH_SIZE = env_int("BYOD_MOVE_BATCH_SIZE", 1000)
BYOD_MOVE_SETTLE_SECONDS = env_float("BYOD_MOVE_SETTLE_SECONDS", -1.0)
BYOD_MOVE_RETRY_SECONDS = env_float("BYOD_MOVE_RETRY_SECONDS", 30.0)
BYOD_MOVE_MAX_ATTEMPTS = env_int("BYOD_MOVE_MAX_ATTEMPTS", 20)
# "Download my data": where the ZIPs are written, and how long a link works.
BYOD_DOWNLOADS_DIR = os.environ.get("BYOD_DOWNLOADS_DIR") or str(VAR_DIR / "downloads")
BYOD_DOWNLOAD_KEEP_HOURS = env_float("BYOD_DOWNLOAD_KEEP_HOURS", 24.0)
# "Check now" on the settings page: at most N per minute per user and per address.
BYOD_THROTTLES["health:user"] = (env_int("BYOD_THROTTLE_HEALTH_CHECKS_PER_USER", 5), 60)
BYOD_THROTTLES["health:address"] = (env_int("BYOD_THROTTLE_HEALTH_CHECKS_PER_ADDRESS", 30), 60)
# "Count documents" (one call per table to the user's deployment): the same, per minute.
BYOD_THROTTLES["count:user"] = (env_int("BYOD_THROTTLE_COUNTS_PER_USER", 5), 60)
BYOD_THROTTLES["count:address"] = (env_int("BYOD_THROTTLE_COUNTS_PER_ADDRESS", 30), 60)
# Who gets the operators' digest (one mail per outbox sweep that found changes).
BYOD_OPERATOR_EMAILS = env_list("BYOD_OPERATOR_EMAILS")
# Data migrations: documents per batch (one mutation each; halved automatically when a batch
# hits Convex's per-transaction limits). 100 is the Convex migration helpers' default.
BYOD_MIGRATION_BATCH_SIZE = env_int("BYOD_MIGRATION_BATCH_SIZE", 100)
# Metrics (/metrics): a scraper presenting "Authorization: Bearer <this>" may read them; empty:
# only staff holding byod.view_metrics (README, "Metrics").
BYOD_METRICS_TOKEN = env_secret("BYOD_METRICS_TOKEN") or ""
# Sizing a rollout before it starts (byod.services.rollouts.sizing): stored document counts
# older than this are counted again on the workers; the time estimate uses these rates until
# there is history to measure them from: a deploy that migrates nothing, and one migration
# batch (`scripts/bench migrate` measured 0.04 s per batch of 100 against the emulator with
# no latency; a real deployment adds a round trip and its own work).
BYOD_ROLLOUT_COUNTS_MAX_AGE_SECONDS = env_float("BYOD_ROLLOUT_COUNTS_MAX_AGE_SECONDS", 86400.0)
BYOD_ROLLOUT_DEPLOY_SECONDS = env_float("BYOD_ROLLOUT_DEPLOY_SECONDS", 20.0)
BYOD_MIGRATION_BATCH_SECONDS = env_float("BYOD_MIGRATION_BATCH_SECONDS", 0.25)
