"""Reads of stored Tariffs."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.db import Lookup
from ocpi_hub.exceptions import NotFound
from parties import policy
from parties.models import Platform
from parties.tenancy import require_own_party
from tariffs.models import Tariff, TariffVersion

CPO_ROLES = ("CPO",)


def tariff_get_own(*, platform: Platform, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """A live Tariff of one of the caller's own CPO roles (receiver GET); 2001 for a foreign owner, else 404."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=CPO_ROLES)
    tariff = (
        tariff_list_live().filter(country_code=country_code, party_id=party_id, tariff_key=tariff_id.upper()).first()
    )
    if tariff is None:
        raise NotFound(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
    return tariff


def tariff_list_live(*, owner: PartyRef | None = None, visible_to: Platform | None = None) -> QuerySet[Tariff]:
    """Tariffs not deleted (of one owner when given), for the paginated sender GET. With ``visible_to``: only
    the broadcast Tariffs and those pushed to that platform alone (targeted push)."""
    queryset = Tariff.objects.filter(deleted_at=None)
    if visible_to is not None:
        queryset = queryset.filter(Q(target__isnull=True) | Q(target=visible_to))
        queryset = policy.filter_visible(queryset, visible_to, module="tariffs", viewer_side=policy.EMSP)
    if owner is not None:
        queryset = queryset.filter(country_code=owner.country_code, party_id=owner.party_id)
    return queryset


def tariffs_for_sync() -> QuerySet[Tariff]:
    """Every live broadcast Tariff, in a stable order (initial sync of a new receiver; targeted ones are not)."""
    return tariff_list_live().filter(target__isnull=True).order_by("last_updated", "pk")


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
