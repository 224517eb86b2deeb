"""Reads of stored Sessions, plus the tolerant look-ups into other apps (token store, Locations, error records)."""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import DatabaseError, transaction
from django.db.models import QuerySet, prefetch_related_objects

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.db import Lookup, lookup_together
from ocpi_hub.exceptions import NotFound
from parties.models import Platform
from parties.tenancy import require_own_party
from sessions.models import Session

NOT_APPLICABLE = "#NA"


def session_get(*, country_code: str, party_id: str, session_id: str) -> Session | None:
    return Session.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), session_key=session_id.upper()
    ).first()


def session_get_owned(*, platform: Platform, country_code: str, party_id: str, session_id: str) -> Session:
    """A Session of one of the caller's CPO roles (2001 for another owner, HTTP 404 when unknown)."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=("CPO",))
    session = session_get(country_code=country_code, party_id=party_id, session_id=session_id)
    if session is None:
        raise NotFound(f"Unknown session {country_code}/{party_id}/{session_id}")
    return session


def session_list_for_receiver(*, platform: Platform) -> QuerySet[Session]:
    """Only the Sessions routed to this platform (never another eMSP's)."""
    return Session.objects.filter(receiver=platform, no_agreement=False)


def with_endpoints(platform: Platform) -> Platform:
    """``platform`` with its endpoints loaded once (the extension opt-in is read per rendered object)."""
    prefetch_related_objects([platform], "endpoints")
    return platform


def session_for_receiver(*, platform: Platform, session_id: str, owner: PartyRef | None) -> Session | None:
    """The Session ``session_id`` routed to ``platform`` (narrowed to the CPO ``owner`` when given)."""
    queryset = session_list_for_receiver(platform=platform).filter(session_key=session_id.upper())
    if owner is not None:
        queryset = queryset.filter(country_code=owner.country_code, party_id=owner.party_id)
    return queryset.select_related("owner").order_by("-last_updated").first()


def token_store_owner(uid: str, token_type: str | None) -> PartyRef | None:
    """The eMSP owning a token according to the Tokens app; None when there is no token store."""
    try:
        from tokens.selectors import token_owner
    except ImportError:
        return None
    return token_owner(uid, token_type)


def evse_exists(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> bool | None:
    """Whether the CPO published this EVSE to the hub; None when that cannot be told (no Locations app, a CPO
    that publishes no Locations through the hub, or an ``#NA`` EVSE)."""
    lookups = evse_lookups(country_code=country_code, party_id=party_id, location_id=location_id, evse_uid=evse_uid)
    return evse_known(lookup_together(lookups))


def evse_lookups(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> dict[str, Lookup]:
    """``evse_exists`` as lookups (to run with others: ``ocpi_hub.db.lookup_together``); read the result with
    ``evse_known``. None of them when it cannot be told."""
    statements = _evse_sql()
    if NOT_APPLICABLE in (location_id, evse_uid) or statements is None:
        return {}
    evse, any_location = statements
    owner = [country_code.upper(), party_id.upper()]
    return {
        "evse": Lookup(evse, [*owner, location_id.upper(), evse_uid.upper()]),
        "cpo_locations": Lookup(any_location, owner),
    }


@functools.cache
def _evse_sql() -> tuple[str, str] | None:
    """The SQL of ``evse_lookups`` (None without the Locations app); built once, it runs on every CDR POST."""
    if not apps.is_installed("locations"):
        return None
    locations = apps.get_model("locations", "Location")._meta.db_table
    evses = apps.get_model("locations", "Evse")._meta.db_table
    evse = (
        f"SELECT evse.id FROM {evses} evse JOIN {locations} loc ON loc.id = evse.location_id "
        "WHERE loc.country_code = %s AND loc.party_id = %s AND loc.location_key = %s "
        "AND evse.uid_key = %s LIMIT 1"
    )
    return evse, f"SELECT id FROM {locations} WHERE country_code = %s AND party_id = %s LIMIT 1"


def evse_known(found: dict[str, Any]) -> bool | None:
    if "evse" not in found:
        return None
    if found["evse"] is not None:
        return True
    return False if found["cpo_locations"] is not None else None


def error_records_named(doc: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The stored ErrorRecords of the owning CPO that a Session's or CDR's ``error_records`` name, by upper-cased
    id: ``{scheme, code, severity}``. None when that cannot be told (no errors app or table)."""
    keys = {summary["id"].upper() for summary in doc.get("error_records") or []}
    if not keys:
        return {}
    if not apps.is_installed("errors"):
        return None
    try:
        record_model = apps.get_model("errors", "ErrorRecord")
        with transaction.atomic():  # a savepoint: a failing query must not break the caller's transaction
            rows = record_model.objects.filter(
                country_code=doc["country_code"].upper(), party_id=doc["party_id"].upper(), record_key__in=keys
            ).values_list("record_key", "scheme", "code", "severity")
            return {key: {"scheme": scheme, "code": code, "severity": severity} for key, scheme, code, severity in rows}
    except (LookupError, FieldError, DatabaseError):
        return None
