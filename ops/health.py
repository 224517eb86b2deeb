"""The readiness checks of /readyz. Each answers (ok, detail); none raises."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ops.heartbeat import heartbeat_latest

logger = logging.getLogger(__name__)

Check = Callable[[], tuple[bool, str]]
_migrations_done = False  # once applied, they stay applied for this process


def check_database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, connection.vendor


def check_migrations() -> tuple[bool, str]:
    global _migrations_done
    if not _migrations_done:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            return False, f"{len(unapplied)} migration(s) not applied"
        _migrations_done = True
    return True, "all applied"


def check_broker() -> tuple[bool, str]:
    from ocpi_hub.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return True, "reachable"


def _heartbeat(kind: str) -> tuple[bool, str]:
    seen = heartbeat_latest(kind=kind)
    if seen is None:
        return False, f"no {kind} heartbeat yet"
    age = (timezone.now() - seen).total_seconds()
    fresh = age <= settings.OCPI_HUB_HEARTBEAT_MAX_AGE
    return fresh, f"last seen {age:.0f}s ago" + ("" if fresh else f" (> {settings.OCPI_HUB_HEARTBEAT_MAX_AGE:.0f}s)")


def check_worker() -> tuple[bool, str]:
    return _heartbeat("worker")


def check_beat() -> tuple[bool, str]:
    return _heartbeat("beat")


def check_listener() -> tuple[bool, str]:
    """On PostgreSQL with NOTIFY dispatch, one worker's outbox listener holds the channel's advisory lock."""
    from parties.services.dispatch import LOCK_KEY, notify_enabled

    if not notify_enabled():
        return True, "not used (dispatch on commit)"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0"
            " AND objid = %s::bigint::oid AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOCK_KEY],
        )
        held = cursor.fetchone()[0]
    return bool(held), "listening" if held else "no worker holds the outbox listener lock"


CHECKS: dict[str, Check] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
    "notify_listener": check_listener,
}
NEEDS_DATABASE = {"migrations", "worker", "beat", "notify_listener"}


def readiness() -> dict[str, dict[str, object]]:
    """Every check's state: {"database": {"ok": true, "detail": "postgresql"}, ...}."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and not results["database"]["ok"]:
            results[name] = {"ok": False, "detail": "database unreachable"}
            continue
        results[name] = _run(name, check)
    return results


def _run(name: str, check: Check) -> dict[str, object]:
    try:
        ok, detail = check()
    except Exception as exc:  # a check that fails to run is a failed check, never a 500
        logger.warning("Readiness check %s failed: %s", name, exc)
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "detail": f"{type(exc).__name__}: {str(exc).strip()[:200]}"}
    return {"ok": ok, "detail": detail}
