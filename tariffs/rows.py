"""The Tariffs app's hand-written SQL: the stored version of a Tariff that prices a CDR, as a look-up the CDR POST
runs with its others in one query (bench E1). Other apps reach it through ``tariffs.selectors``."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from django.db import connection

from ocpi_hub.db import Lookup
from tariffs.models import TariffVersion


def tariff_version_lookup(*, country_code: str, party_id: str, tariff_id: str, at: datetime) -> Lookup:
    """The stored version of a Tariff that applies to a session started ``at``, as a look-up
    (``ocpi_hub.db.lookup_together``; read it with ``version_document``): among the versions valid at ``at``
    (``start_date_time`` <= at < ``end_date_time``, each bound only when set), the newest received by then,
    else the first received after (a Tariff pushed late still prices the sessions it covers)."""
    moment = connection.ops.adapt_datetimefield_value(at) if connection.vendor != "postgresql" else at
    owner = [country_code.upper(), party_id.upper(), tariff_id.upper()]
    return Lookup(_version_sql(), [*owner, moment, moment, moment, moment])


@functools.cache
def _version_sql() -> str:
    return (
        f"SELECT document FROM {TariffVersion._meta.db_table} "
        "WHERE country_code = %s AND party_id = %s AND tariff_key = %s "
        "AND (start_date_time IS NULL OR start_date_time <= %s) AND (end_date_time IS NULL OR end_date_time > %s) "
        "ORDER BY CASE WHEN received_at <= %s THEN 0 ELSE 1 END, "
        "CASE WHEN received_at <= %s THEN received_at END DESC, received_at ASC LIMIT 1"
    )


def version_document(row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    """The Tariff document of a ``tariff_version_lookup`` row (None: no version applies)."""
    if row is None:
        return None
    value = row[0]
    return json.loads(value) if isinstance(value, str | bytes) else value


def tariff_version_at(*, country_code: str, party_id: str, tariff_id: str, at: datetime) -> dict[str, Any] | None:
    """``tariff_version_lookup`` run on its own."""
    lookup = tariff_version_lookup(country_code=country_code, party_id=party_id, tariff_id=tariff_id, at=at)
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, list(lookup.params))
        return version_document(cursor.fetchone())
