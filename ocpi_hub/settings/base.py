"""Settings of the hub. Everything is driven by environment variables; there is no production file.

Defaults run the hub embedded: a SQLite file under ``var/`` and kombu's filesystem broker, so
``make run`` needs no server. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("OCPI_HUB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or "insecure-embedded-default-change-me"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "ocpi_hub.apps.OcpiHubConfig",
    "parties.apps.PartiesConfig",
    "sessions.apps.SessionsConfig",
    "cdrs.apps.CdrsConfig",
    "tariffs.apps.TariffsConfig",
    "locations.apps.LocationsConfig",
    "tokens.apps.TokensConfig",
    "errors.apps.ErrorsConfig",
]

MIDDLEWARE = [
    "ocpi_hub.api.middleware.OcpiRequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # admin login lockout, after the authentication middleware
]

ROOT_URLCONF = "ocpi_hub.urls"
WSGI_APPLICATION = "ocpi_hub.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ocpi_hub" / "templates"],
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

SQLITE_PATH = VAR_DIR / "hub.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding, and psycopg prepares a statement once it has run this many times on a
    # connection: PostgreSQL then skips parsing and planning it (about a third of its CPU on the push path,
    # docs/performance.md). 0 turns preparing off (e.g. behind a PgBouncer in transaction mode without
    # prepared-statement support).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    _prepare_threshold = env_int("OCPI_HUB_DB_PREPARE_THRESHOLD", 5)
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = _prepare_threshold or None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ocpi_hub.api.authentication.OcpiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ocpi_hub.api.permissions.IsRegisteredParty"],
    "DEFAULT_PARSER_CLASSES": ["ocpi_hub.api.parsers.OcpiJsonParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "ocpi_hub.api.exception_handler.ocpi_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "ocpi_hub.api.pagination.OcpiPagination",
    "DEFAULT_SCHEMA_CLASS": "ocpi_hub.api.autoschema.OcpiAutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OCPI Hub",
    "DESCRIPTION": "OCPI roaming hub (2.2.1 and 2.3.0) with the chargex-errors extension.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from the hub itself: no CDN needed
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- The hub's own identity -----------------------------------------------------------------------
OCPI_HUB_BASE_URL = os.environ.get("OCPI_HUB_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
OCPI_HUB_COUNTRY_CODE = os.environ.get("OCPI_HUB_COUNTRY_CODE", "NL")
OCPI_HUB_PARTY_ID = os.environ.get("OCPI_HUB_PARTY_ID", "HUB")
OCPI_HUB_NAME = os.environ.get("OCPI_HUB_NAME", "OCPI Hub")
OCPI_HUB_WEBSITE = os.environ.get("OCPI_HUB_WEBSITE", "")

# --- Transport ----------------------------------------------------------------------------------
OCPI_HUB_PAGE_LIMIT = env_int("OCPI_HUB_PAGE_LIMIT", 1000)
OCPI_HUB_BENCH_ENDPOINT = env_bool("OCPI_HUB_BENCH_ENDPOINT", False)  # POST /ocpi/bench/echo (bench/)
OCPI_HUB_CONNECT_TIMEOUT = env_float("OCPI_HUB_CONNECT_TIMEOUT", 5.0)
OCPI_HUB_READ_TIMEOUT = env_float("OCPI_HUB_READ_TIMEOUT", 30.0)
OCPI_HUB_AUTHORIZE_TIMEOUT = env_float("OCPI_HUB_AUTHORIZE_TIMEOUT", 5.0)
OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT = env_float("OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT", 10.0)
OCPI_HUB_TOKEN_RESOLVER = "parties.selectors.credential_for_token"
# Failed token authentications per client address and window before 429 (0: no throttling); see throttle.py.
OCPI_HUB_AUTH_FAILURE_LIMIT = env_int("OCPI_HUB_AUTH_FAILURE_LIMIT", 20)
OCPI_HUB_AUTH_FAILURE_WINDOW = env_float("OCPI_HUB_AUTH_FAILURE_WINDOW", 60.0)
# SSRF guard: refuse registration URLs whose host is not public (parties/urlguard.py), except these networks.
OCPI_HUB_REFUSE_PRIVATE_URLS = env_bool("OCPI_HUB_REFUSE_PRIVATE_URLS", not DEBUG)
OCPI_HUB_ALLOWED_PRIVATE_NETWORKS = [n for n in os.environ.get("OCPI_HUB_ALLOWED_PRIVATE_NETWORKS", "").split(",") if n]
OCPI_HUB_TRUSTED_PROXIES = env_int("OCPI_HUB_TRUSTED_PROXIES", 0)  # reverse proxies appending X-Forwarded-For

# --- Delivery engine ----------------------------------------------------------------------------
OCPI_HUB_DELIVERY_MAX_ATTEMPTS = env_int("OCPI_HUB_DELIVERY_MAX_ATTEMPTS", 10)
OCPI_HUB_DELIVERY_MAX_AGE = env_float("OCPI_HUB_DELIVERY_MAX_AGE", 3 * 24 * 3600.0)
OCPI_HUB_DELIVERY_BACKOFF_BASE = env_float("OCPI_HUB_DELIVERY_BACKOFF_BASE", 10.0)
OCPI_HUB_DELIVERY_BACKOFF_MAX = env_float("OCPI_HUB_DELIVERY_BACKOFF_MAX", 3600.0)
OCPI_HUB_DELIVERY_LEASE = env_float("OCPI_HUB_DELIVERY_LEASE", 120.0)
OCPI_HUB_SWEEP_INTERVAL = env_float("OCPI_HUB_SWEEP_INTERVAL", 15.0)
# A due row is re-dispatched by the sweeper only when overdue by this long (its own message may still be queued).
OCPI_HUB_SWEEP_GRACE = env_float("OCPI_HUB_SWEEP_GRACE", max(2 * OCPI_HUB_SWEEP_INTERVAL, 5.0))
OCPI_HUB_UNAUTHORIZED_FLAG_AFTER = env_int("OCPI_HUB_UNAUTHORIZED_FLAG_AFTER", 3)
# How queued rows reach the workers (parties/services/dispatch.py): "notify" (PostgreSQL only: the outbox
# statement NOTIFYs, a listener in the Celery worker publishes the tasks) or "on_commit" (the web process
# publishes each task when its transaction commits; always so on SQLite).
OCPI_HUB_DISPATCH = os.environ.get("OCPI_HUB_DISPATCH", "notify")

# --- Still-alive check --------------------------------------------------------------------------
OCPI_HUB_ALIVE_SILENCE = env_float("OCPI_HUB_ALIVE_SILENCE", 300.0)
OCPI_HUB_ALIVE_INTERVAL = env_float("OCPI_HUB_ALIVE_INTERVAL", 60.0)

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": env_float("OCPI_HUB_BROKER_POLL", 0.2),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Deliveries wait on the network: a thread pool keeps many in flight per process.
CELERY_WORKER_POOL = os.environ.get("OCPI_HUB_WORKER_POOL", "threads")
CELERY_WORKER_CONCURRENCY = env_int("OCPI_HUB_WORKER_CONCURRENCY", 16)
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {"task": "parties.tasks.sweep_deliveries", "schedule": OCPI_HUB_SWEEP_INTERVAL},
    "check-alive": {"task": "parties.tasks.check_alive", "schedule": OCPI_HUB_ALIVE_INTERVAL},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Admin login lockout (django-axes) -----------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked out (HTTP 429)
# for the cool-off time; a successful login resets the count. `manage.py axes_reset` unlocks everyone.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("OCPI_HUB_ADMIN_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = env_float("OCPI_HUB_ADMIN_LOCKOUT_MINUTES", 15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ocpi_hub.api.throttle.login_client_ip"  # honours OCPI_HUB_TRUSTED_PROXIES
AXES_VERBOSE = False

# --- Cache (counters shared by every web worker: failed-authentication throttling) ---------------
_CACHE_URL = os.environ.get("OCPI_HUB_CACHE_URL") or os.environ.get("CELERY_BROKER_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
    if _CACHE_URL.startswith(("redis://", "rediss://"))
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
}
CACHES["default"]["KEY_PREFIX"] = "ocpi-hub"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OCPI_HUB_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
