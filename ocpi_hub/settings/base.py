"""Settings of the hub. Everything is driven by environment variables; there is no production file.

Defaults run the hub embedded: a SQLite file under ``var/`` and the hub's own SQLite-file broker, so
``make run`` needs no server. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("OCPI_HUB_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def setting_error(name: str, value: object, expected: str) -> SystemExit:
    """A bad environment variable stops the process with one line naming it (no traceback). Exit status 3:
    gunicorn's master stops instead of restarting workers that cannot boot."""
    sys.stderr.write(f"Invalid setting {name}={value!r}: expected {expected}\n")
    return SystemExit(3)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise setting_error(name, value, "a boolean (1, true, yes, on / 0, false, no, off)")
    return word in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise setting_error(name, value, "an integer") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = float(value.strip())
    except ValueError:
        raise setting_error(name, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise setting_error(name, value, "a finite number")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise setting_error(name, value, f"one of {', '.join(choices)}")
    return value


def env_match(name: str, default: str, pattern: str, expected: str) -> str:
    """NAME, which must match the regular expression ``pattern`` as a whole."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(pattern, value):
        raise setting_error(name, value, expected)
    return value


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise setting_error(f"{name}_FILE", path, f"a readable file ({exc.strerror})") from None
    return os.environ.get(name, default)


def env_database(name: str, default: str, **options: Any) -> dict[str, Any]:
    value = os.environ.get(name, default)
    try:
        return dict(dj_database_url.parse(value, **options))
    except ValueError as exc:
        raise setting_error(name, value, f"a database URL ({exc})") from None


DEBUG = env_bool("DJANGO_DEBUG", False)
BUILTIN_SECRET_KEY = "insecure-embedded-default-change-me"  # ops.checks warns (errs under --deploy)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or BUILTIN_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS hardening (docs/operations.md): secure cookies, HSTS, redirect to https.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)

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
    "commands.apps.CommandsConfig",
    "chargingprofiles.apps.ChargingProfilesConfig",
    "errors.apps.ErrorsConfig",
    "ops.apps.OpsConfig",
]

MIDDLEWARE = [
    "ocpi_hub.api.middleware.OcpiRequestIdMiddleware",
    "ops.middleware.OpsMiddleware",
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
    "default": env_database("DATABASE_URL", f"sqlite:///{SQLITE_PATH}", conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60))
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
FORMAT_MODULE_PATH = ["ocpi_hub.formats"]  # the admin shows times with seconds and the zone (UTC)
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
OCPI_HUB_BASE_URL = env_match(
    "OCPI_HUB_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}", r"https?://[^/\s]+(/\S*)?", "an http(s) URL"
).rstrip("/")
OCPI_HUB_COUNTRY_CODE = env_match("OCPI_HUB_COUNTRY_CODE", "NL", r"[A-Za-z]{2}", "a two-letter country code")
OCPI_HUB_PARTY_ID = env_match("OCPI_HUB_PARTY_ID", "HUB", r"[A-Za-z0-9]{3}", "a three-character party id")
OCPI_HUB_NAME = os.environ.get("OCPI_HUB_NAME", "OCPI Hub")
OCPI_HUB_WEBSITE = os.environ.get("OCPI_HUB_WEBSITE", "")

# --- Transport ----------------------------------------------------------------------------------
OCPI_HUB_PAGE_LIMIT = env_int("OCPI_HUB_PAGE_LIMIT", 1000)
# Input limits (docs/api-guide.md, "Limits"): request body size and how long its reading may take, counts of
# nested objects, how far ahead of the hub's clock an inbound last_updated may be.
OCPI_HUB_MAX_BODY_BYTES = env_int("OCPI_HUB_MAX_BODY_BYTES", 8 * 1024 * 1024)
OCPI_HUB_BODY_READ_TIMEOUT = env_float("OCPI_HUB_BODY_READ_TIMEOUT", 30.0)
# The front before gunicorn (runhub, ocpi_hub/front.py): request line and headers must arrive within this many
# seconds (also the keep-alive idle time), and at most this many client connections are open at once.
OCPI_HUB_HEADER_TIMEOUT = env_float("OCPI_HUB_HEADER_TIMEOUT", 10.0)
OCPI_HUB_MAX_CONNECTIONS = env_int("OCPI_HUB_MAX_CONNECTIONS", 1000)
if OCPI_HUB_HEADER_TIMEOUT <= 0:
    raise setting_error("OCPI_HUB_HEADER_TIMEOUT", OCPI_HUB_HEADER_TIMEOUT, "a positive number of seconds")
if OCPI_HUB_MAX_CONNECTIONS < 1:
    raise setting_error("OCPI_HUB_MAX_CONNECTIONS", OCPI_HUB_MAX_CONNECTIONS, "a positive integer")
OCPI_HUB_MAX_EVSES = env_int("OCPI_HUB_MAX_EVSES", 2000)
OCPI_HUB_MAX_CONNECTORS = env_int("OCPI_HUB_MAX_CONNECTORS", 32)
OCPI_HUB_MAX_CHARGING_PERIODS = env_int("OCPI_HUB_MAX_CHARGING_PERIODS", 5000)
OCPI_HUB_MAX_TARIFF_ELEMENTS = env_int("OCPI_HUB_MAX_TARIFF_ELEMENTS", 500)
OCPI_HUB_MAX_CLOCK_SKEW = env_float("OCPI_HUB_MAX_CLOCK_SKEW", 300.0)
OCPI_HUB_BENCH_ENDPOINT = env_bool("OCPI_HUB_BENCH_ENDPOINT", False)  # POST /ocpi/bench/echo (bench/)
OCPI_HUB_CONNECT_TIMEOUT = env_float("OCPI_HUB_CONNECT_TIMEOUT", 5.0)
OCPI_HUB_READ_TIMEOUT = env_float("OCPI_HUB_READ_TIMEOUT", 30.0)
# The largest answer body (decoded) the hub reads from a party; a larger one is a failed call.
OCPI_HUB_MAX_ANSWER_BYTES = env_int("OCPI_HUB_MAX_ANSWER_BYTES", 32 * 1024 * 1024)
# An HTTP forward proxy for every OCPI call the hub makes, and the hosts called directly (parties/proxy.py).
OCPI_HUB_OUTBOUND_PROXY = os.environ.get(
    "OCPI_HUB_OUTBOUND_PROXY", os.environ.get("HTTPS_PROXY", os.environ.get("https_proxy", ""))
).strip()
OCPI_HUB_OUTBOUND_NO_PROXY = os.environ.get(
    "OCPI_HUB_OUTBOUND_NO_PROXY", os.environ.get("NO_PROXY", os.environ.get("no_proxy", ""))
)
if "://" in OCPI_HUB_OUTBOUND_PROXY and not OCPI_HUB_OUTBOUND_PROXY.lower().startswith("http://"):
    shown = re.sub(r"//[^@/]*@", "//***@", OCPI_HUB_OUTBOUND_PROXY)  # no password in the log
    raise setting_error("OCPI_HUB_OUTBOUND_PROXY", shown, "an http://host:port URL (a forward proxy)")
# PEM file of the certificate authorities the hub trusts for https parties (default: the system's store).
OCPI_HUB_CA_BUNDLE = os.environ.get("OCPI_HUB_CA_BUNDLE", "")
OCPI_HUB_AUTHORIZE_TIMEOUT = env_float("OCPI_HUB_AUTHORIZE_TIMEOUT", 5.0)
OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT = env_float("OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT", 10.0)
OCPI_HUB_COMMAND_TIMEOUT = env_float("OCPI_HUB_COMMAND_TIMEOUT", 10.0)  # commands and charging profiles
OCPI_HUB_COMMAND_RESULT_GRACE = env_float("OCPI_HUB_COMMAND_RESULT_GRACE", 300.0)  # after timeout/expiry
OCPI_HUB_TOKEN_RESOLVER = "parties.selectors.credential_for_token"
# Who may see whom (parties/policy.py): "open" routes everyone with everyone, "agreements" only the CPO/eMSP
# pairs with an active roaming agreement (parties.models.Agreement).
OCPI_HUB_ROUTING_POLICY = env_choice("OCPI_HUB_ROUTING_POLICY", "open", ("open", "agreements"))
OCPI_HUB_TOKEN_CACHE = env_bool("OCPI_HUB_TOKEN_CACHE", True)  # per-process token cache (parties/selectors.py)
OCPI_HUB_PRICING = env_bool("OCPI_HUB_PRICING", True)  # price every inbound CDR from its tariff (COST_MISMATCH)
OCPI_HUB_COST_TOLERANCE = env_float("OCPI_HUB_COST_TOLERANCE", 0.01)  # CDR currency units, per cost field
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
# Lease of a row being sent and of a receiver's drain; the worker's heartbeat renews it every fifth of it,
# so a lost worker's rows are due again within this many seconds.
OCPI_HUB_DELIVERY_LEASE = env_float("OCPI_HUB_DELIVERY_LEASE", 15.0)
OCPI_HUB_SWEEP_INTERVAL = env_float("OCPI_HUB_SWEEP_INTERVAL", 5.0)
# A drain asked for this long ago and not started is taken as lost: the sweeper asks again.
OCPI_HUB_SWEEP_GRACE = env_float("OCPI_HUB_SWEEP_GRACE", max(6 * OCPI_HUB_SWEEP_INTERVAL, 5.0))
OCPI_HUB_DRAIN_BATCH = env_int("OCPI_HUB_DRAIN_BATCH", 50)  # rows claimed and recorded per round trip
OCPI_HUB_DRAIN_BUDGET = env_float("OCPI_HUB_DRAIN_BUDGET", 5.0)  # seconds one drain runs before it yields
# Receivers woken together are drained together, up to this many per task (claimed, rendered and recorded
# once for all); a receiver that failed, is paused or answers slower than the second setting drains alone.
OCPI_HUB_DRAIN_GROUP = env_int("OCPI_HUB_DRAIN_GROUP", 20)
OCPI_HUB_DRAIN_GROUP_SLOW_MS = env_float("OCPI_HUB_DRAIN_GROUP_SLOW_MS", 250.0)
# Rows of each receiver a shared drain takes; one that has more due drains alone next (a backlog).
OCPI_HUB_DRAIN_GROUP_BATCH = env_int("OCPI_HUB_DRAIN_GROUP_BATCH", 10)
OCPI_HUB_BREAKER_THRESHOLD = env_int("OCPI_HUB_BREAKER_THRESHOLD", 5)  # failed attempts in a row that pause
OCPI_HUB_BREAKER_PROBE_BASE = env_float("OCPI_HUB_BREAKER_PROBE_BASE", 5.0)  # first probe interval (doubles)
OCPI_HUB_BREAKER_PROBE_MAX = env_float("OCPI_HUB_BREAKER_PROBE_MAX", 300.0)
OCPI_HUB_DELIVERY_RETENTION_DAYS = env_float("OCPI_HUB_DELIVERY_RETENTION_DAYS", 7.0)
OCPI_HUB_UNAUTHORIZED_FLAG_AFTER = env_int("OCPI_HUB_UNAUTHORIZED_FLAG_AFTER", 3)
# How queued rows reach the workers (parties/services/dispatch.py): "notify" (PostgreSQL only: the outbox
# statement NOTIFYs, a listener in the Celery worker publishes the tasks) or "on_commit" (the web process
# publishes each task when its transaction commits; always so on SQLite).
OCPI_HUB_DISPATCH = env_choice("OCPI_HUB_DISPATCH", "notify", ("notify", "on_commit"))

# --- Still-alive check --------------------------------------------------------------------------
OCPI_HUB_ALIVE_SILENCE = env_float("OCPI_HUB_ALIVE_SILENCE", 300.0)
OCPI_HUB_ALIVE_INTERVAL = env_float("OCPI_HUB_ALIVE_INTERVAL", 60.0)
# Workers and beat write a heartbeat this often (ops/heartbeat.py); /readyz wants one younger than MAX_AGE.
OCPI_HUB_HEARTBEAT_INTERVAL = env_float("OCPI_HUB_HEARTBEAT_INTERVAL", 10.0)
OCPI_HUB_HEARTBEAT_MAX_AGE = env_float("OCPI_HUB_HEARTBEAT_MAX_AGE", max(6 * OCPI_HUB_HEARTBEAT_INTERVAL, 30.0))

# --- Celery -------------------------------------------------------------------------------------
# The embedded default is the hub's own SQLite-file transport (ocpi_hub/broker.py, docs/architecture.md).
CELERY_BROKER_URL = env_match(
    "CELERY_BROKER_URL", "hubqueue://", r"[a-z][a-z0-9+.-]*://\S*", "a broker URL such as redis://host:6379/0"
)
if CELERY_BROKER_URL.startswith("hubqueue://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "path": os.environ.get("OCPI_HUB_BROKER_PATH", str(VAR_DIR / "broker.sqlite3")),
        "polling_interval": env_float("OCPI_HUB_BROKER_POLL", 0.05),
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # it carries no fanout (broadcast) messages
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
CELERY_WORKER_POOL = env_choice("OCPI_HUB_WORKER_POOL", "threads", ("threads", "prefork", "solo", "eventlet", "gevent"))
CELERY_WORKER_CONCURRENCY = env_int("OCPI_HUB_WORKER_CONCURRENCY", 16)
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Periodic tasks expire when not started within their interval: a busy worker never works through a pile.
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {
        "task": "parties.tasks.sweep_deliveries",
        "schedule": OCPI_HUB_SWEEP_INTERVAL,
        "options": {"expires": OCPI_HUB_SWEEP_INTERVAL},
    },
    "check-alive": {
        "task": "parties.tasks.check_alive",
        "schedule": OCPI_HUB_ALIVE_INTERVAL,
        "options": {"expires": OCPI_HUB_ALIVE_INTERVAL},
    },
    "purge-deliveries": {"task": "parties.tasks.purge_deliveries", "schedule": 3600.0, "options": {"expires": 3600}},
    "beat-heartbeat": {
        "task": "ops.tasks.beat_heartbeat",
        "schedule": OCPI_HUB_HEARTBEAT_INTERVAL,
        "options": {"expires": OCPI_HUB_HEARTBEAT_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Operations: health, metrics, logs (ops/) ------------------------------------------------------
# Who may read /readyz and /metrics: open, token (Authorization: Bearer OCPI_HUB_OPS_TOKEN) or loopback.
OCPI_HUB_OPS_ACCESS = env_choice("OCPI_HUB_OPS_ACCESS", "loopback", ("open", "token", "loopback"))
OCPI_HUB_OPS_TOKEN = env_secret("OCPI_HUB_OPS_TOKEN")
OCPI_HUB_LOG_FORMAT = env_choice("OCPI_HUB_LOG_FORMAT", "plain", ("plain", "json"))
OCPI_HUB_LOG_LEVEL = env_choice("OCPI_HUB_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# prometheus-client's multiprocess mode: each web process counts its HTTP requests in files here.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
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
    "filters": {"context": {"()": "ops.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"},
        "json": {"()": "ops.logs.HubJsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": OCPI_HUB_LOG_FORMAT, "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": OCPI_HUB_LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
