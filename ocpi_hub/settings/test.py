"""Test settings: the same components as production when the environment names them.

``DATABASE_URL`` / ``CELERY_BROKER_URL`` point the tests at PostgreSQL and Redis (``.ci/run`` does that);
without them the tests use SQLite and skip, with a reason, the tests that need a server.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("OCPI_HUB_VAR_DIR", tempfile.mkdtemp(prefix="ocpi-hub-test-"))

from ocpi_hub.settings.base import *  # noqa: E402,F403
from ocpi_hub.settings.base import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["OCPI_HUB_VAR_DIR"], "test.sqlite3")}
OCPI_HUB_DELIVERY_BACKOFF_BASE = 0.2
OCPI_HUB_DELIVERY_BACKOFF_MAX = 1.0
OCPI_HUB_READ_TIMEOUT = 5.0
OCPI_HUB_CONNECT_TIMEOUT = 2.0
# Every test calls from 127.0.0.1 and many send bad tokens on purpose: the throttling tests turn it on.
OCPI_HUB_AUTH_FAILURE_LIMIT = 0
# The SSRF guard stays on, but the test parties listen on loopback.
OCPI_HUB_REFUSE_PRIVATE_URLS = True
OCPI_HUB_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]

# One queue per test session, so parallel runs and stale messages never meet.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("OCPI_HUB_TEST_QUEUE") or f"hub-test-{os.getpid()}"
os.environ.setdefault("OCPI_HUB_TEST_QUEUE", CELERY_TASK_DEFAULT_QUEUE)
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
