"""Leadflow settings, read from LEADFLOW_* environment variables.

One settings module for every environment: defaults give a zero-set-up SQLite
install under ``var/``; production sets ``LEADFLOW_DEBUG=false``, a secret key,
allowed hosts and usually ``LEADFLOW_DATABASE_URL`` for PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LEADFLOW_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("LEADFLOW_DEBUG", True)
TESTING = env_bool("LEADFLOW_TESTING", False)

_DEV_SECRET = "leadflow-insecure-development-key-change-me-with-LEADFLOW_SECRET_KEY"
SECRET_KEY = os.environ.get("LEADFLOW_SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise RuntimeError("Set LEADFLOW_SECRET_KEY when LEADFLOW_DEBUG is off.")

ALLOWED_HOSTS = env_list("LEADFLOW_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("LEADFLOW_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Serves the API docs' Swagger UI from its own static files, not a CDN.
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "leadflow.accounts",
    "leadflow.core",
    "leadflow.intake",
    "leadflow.leads",
    "leadflow.sales",
    "leadflow.activities",
    "leadflow.identity",
    "leadflow.scoring",
    "leadflow.routing",
    "leadflow.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leadflow.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadflow.core.middleware.InterfaceMiddleware",
    # Last, so that it sees the failed logins of every view above it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite by default. WAL lets readers run beside a writer; "IMMEDIATE" makes a
# write transaction take the write lock when it starts, so a second writer
# waits for the busy timeout instead of failing half-way with "database is
# locked" when it upgrades a read lock.
SQLITE_PATH = VAR_DIR / "leadflow.sqlite3"
DATABASE_URL = os.environ.get("LEADFLOW_DATABASE_URL", "")


def sqlite_database(path: Path | str) -> dict[str, Any]:
    return {
        "ENGINE": "leadflow.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        "TEST": {"NAME": str(VAR_DIR / "test-leadflow.sqlite3")},
        # Keep each process's connection between requests: opening one (and
        # running the PRAGMAs above) cost an API request more than its query.
        "CONN_MAX_AGE": 600,
    }


DATABASES: dict[str, Any]
if DATABASE_URL and not DATABASE_URL.startswith("sqlite"):
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASE_URL:
    DATABASES = {"default": sqlite_database(DATABASE_URL.split("sqlite:///", 1)[-1])}
else:
    DATABASES = {"default": sqlite_database(SQLITE_PATH)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures lock the username+address pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LEADFLOW_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("LEADFLOW_LOGIN_THROTTLING", True)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("tr", _("Turkish")),
    ("es", _("Spanish")),
    ("cy", _("Welsh")),
]
LOCALE_PATHS = [BASE_DIR / "leadflow" / "locale"]
TIME_ZONE = os.environ.get("LEADFLOW_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
# Third-party front-end libraries are installed from the npm registry into
# node_modules/ by `make setup`; only the files Leadflow uses are exposed.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (prefix, NODE_MODULES / path)
    for prefix, path in [
        ("vendor/htmx", "htmx.org/dist"),
        ("vendor/sortablejs", "sortablejs"),
        ("vendor/chartjs", "chart.js/dist"),
    ]
    if (NODE_MODULES / path).is_dir()
]
# Hashed, compressed copies and their manifest even with DEBUG on (Django then
# links the plain names), so that what `make setup` collects into var/static
# also serves a `LEADFLOW_DEBUG=false leadflow serve`.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- E-mail -----------------------------------------------------------------
# LEADFLOW_EMAIL_URL: smtp://user:pass@host:port (smtp+tls:// for STARTTLS,
# smtps:// for implicit TLS), or console:// to print mail.
EMAIL_URL = os.environ.get("LEADFLOW_EMAIL_URL", "console://")
DEFAULT_FROM_EMAIL = os.environ.get("LEADFLOW_DEFAULT_FROM_EMAIL", "leadflow@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _configure_email(url: str) -> dict[str, Any]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise RuntimeError(f"LEADFLOW_EMAIL_URL: unknown scheme {scheme!r}")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "127.0.0.1",
        "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_TIMEOUT": 10,
    }


globals().update(_configure_email(EMAIL_URL))

# --- Background tasks -------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("LEADFLOW_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("LEADFLOW_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("LEADFLOW_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("LEADFLOW_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("LEADFLOW_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy sent by leadflow.web.middleware: everything from
# our own origin; no inline scripts.
LEADFLOW_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)

# --- Leadflow ---------------------------------------------------------------
# Region used to read phone numbers written without a country code.
LEADFLOW_DEFAULT_REGION = os.environ.get("LEADFLOW_DEFAULT_REGION", "GB")
LEADFLOW_PAGE_SIZE = 50
LEADFLOW_API_MAX_PAGE_SIZE = 200

NINJA_PAGINATION_MAX_LIMIT = LEADFLOW_API_MAX_PAGE_SIZE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LEADFLOW_LOG_LEVEL", "WARNING")},
}
LEADFLOW_CURRENCY = os.environ.get("LEADFLOW_CURRENCY", "EUR")
# A purchase expected within this many days makes a lead warm (now is hot).
LEADFLOW_WARM_WITHIN_DAYS = int(os.environ.get("LEADFLOW_WARM_WITHIN_DAYS", "60"))

# Identity resolution (leadflow/identity/matching.py): confidence thresholds.
# Certain → the inquiry is attached and the owner told; probable → attached and
# flagged for review; possible → a new lead, and the pair goes to the review queue.
LEADFLOW_MATCH_CERTAIN = float(os.environ.get("LEADFLOW_MATCH_CERTAIN", "0.98"))
LEADFLOW_MATCH_PROBABLE = float(os.environ.get("LEADFLOW_MATCH_PROBABLE", "0.9"))
LEADFLOW_MATCH_POSSIBLE = float(os.environ.get("LEADFLOW_MATCH_POSSIBLE", "0.6"))
# Custom attributes that identify a person (such as a date of birth), compared
# and used as blocking keys when both records have them. Comma-separated.
LEADFLOW_MATCH_IDENTITY_ATTRIBUTES = [
    name.strip()
    for name in os.environ.get("LEADFLOW_MATCH_IDENTITY_ATTRIBUTES", "date_of_birth").split(",")
    if name.strip()
]
# The same submission again within this many seconds is the same inquiry (double clicks).
LEADFLOW_DOUBLE_SUBMIT_SECONDS = int(os.environ.get("LEADFLOW_DOUBLE_SUBMIT_SECONDS", "600"))
# E-mail (as well as tell in the app) the owner when a known person gets in touch again.
LEADFLOW_EMAIL_OWNER_ON_REPEAT = os.environ.get("LEADFLOW_EMAIL_OWNER_ON_REPEAT", "1") == "1"

# E-mail to lead (`leadflow mailin`, leadflow/intake/mailin.py).
# The SMTP receiver's address (HOST:PORT) when neither --smtp nor --imap is given.
LEADFLOW_MAILIN_SMTP = os.environ.get("LEADFLOW_MAILIN_SMTP", "127.0.0.1:2525")
# A mailbox to poll instead: imaps://user:password@host:993/INBOX (imap:// for plain).
LEADFLOW_MAILIN_IMAP_URL = os.environ.get("LEADFLOW_MAILIN_IMAP_URL", "")
LEADFLOW_MAILIN_IMAP_INTERVAL = int(os.environ.get("LEADFLOW_MAILIN_IMAP_INTERVAL", "60"))
# Larger messages are refused (SMTP 552) or, from a mailbox, recorded from their headers only.
LEADFLOW_MAILIN_MAX_BYTES = int(os.environ.get("LEADFLOW_MAILIN_MAX_BYTES", str(10 * 2**20)))
# How long a message's Message-ID is remembered, against redelivery and for reply threads.
LEADFLOW_MAILIN_REMEMBER_DAYS = int(os.environ.get("LEADFLOW_MAILIN_REMEMBER_DAYS", "90"))
# Public doors (web forms at /f/<slug>/, webhooks at /hooks/<slug>/): the largest
# body accepted, and how many posts one address may make to forms in a window.
LEADFLOW_FORM_MAX_BYTES = int(os.environ.get("LEADFLOW_FORM_MAX_BYTES", str(64 * 1024)))
LEADFLOW_FORM_PER_IP = int(os.environ.get("LEADFLOW_FORM_PER_IP", "20"))
LEADFLOW_FORM_PER_IP_SECONDS = int(os.environ.get("LEADFLOW_FORM_PER_IP_SECONDS", "600"))
LEADFLOW_WEBHOOK_MAX_BYTES = int(os.environ.get("LEADFLOW_WEBHOOK_MAX_BYTES", str(256 * 1024)))
LEADFLOW_WEBHOOK_PER_MINUTE = int(os.environ.get("LEADFLOW_WEBHOOK_PER_MINUTE", "600"))
# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For
# names the client; from anyone else the header is ignored (leadflow/core/proxies.py).
LEADFLOW_TRUSTED_PROXIES = env_list("LEADFLOW_TRUSTED_PROXIES", "")
for _proxy in LEADFLOW_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise RuntimeError(f"LEADFLOW_TRUSTED_PROXIES: {_error}") from None
AXES_CLIENT_IP_CALLABLE = "leadflow.core.proxies.client_ip"
