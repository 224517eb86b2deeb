"""Reads of stored Sessions, plus the look-ups into other apps through their selectors (token store, Locations) and
the error-record reader the errors app registers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects

from locations.selectors import any_location_lookup, evse_lookup
from ocpi_hub.api.routing import PartyRef
from ocpi_hub.db import Found, Lookup, lookup_together
from ocpi_hub.exceptions import NotFound
from parties.extension import read_error_records
from parties.models import Platform
from parties.tenancy import require_own_party
from sessions.models import Session
from sessions.rows import session_by_id_lookup, session_in_window_lookup  # noqa: F401 - look-ups other apps run with theirs (SQL in rows)
from tokens.selectors import token_owner

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
    """The eMSP owning a token according to the Tokens app."""
    return token_owner(uid, token_type)


def evse_exists(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> bool | None:
    """Whether the CPO published this EVSE to the hub; None when that cannot be told (a CPO that publishes no
    Locations through the hub, or an ``#NA`` EVSE)."""
    lookups = evse_lookups(country_code=country_code, party_id=party_id, location_id=location_id, evse_uid=evse_uid)
    return lookups.known(lookup_together(lookups.all()))


@dataclass(frozen=True)
class EvseLookups:
    """``evse_exists`` as look-ups (none for an ``#NA`` EVSE or Location); read the result with ``known``."""

    evse: Lookup | None = None
    cpo_locations: Lookup | None = None

    def all(self) -> list[Lookup | None]:
        return [self.evse, self.cpo_locations]

    def known(self, found: Found) -> bool | None:
        if self.evse is None:
            return None
        if found.row(self.evse) is not None:
            return True
        return False if found.row(self.cpo_locations) is not None else None


def evse_lookups(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> EvseLookups:
    """``evse_exists`` as lookups (to run with others: ``ocpi_hub.db.lookup_together``)."""
    if NOT_APPLICABLE in (location_id, evse_uid):
        return EvseLookups()
    return EvseLookups(
        evse=evse_lookup(country_code=country_code, party_id=party_id, location_id=location_id, evse_uid=evse_uid),
        cpo_locations=any_location_lookup(country_code=country_code, party_id=party_id),
    )


def error_records_named(doc: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The stored ErrorRecords of the owning CPO that a Session's or CDR's ``error_records`` name, by upper-cased
    id: ``{scheme, code, severity}``. None when that cannot be told (no reader registered: the errors app
    registers it, ``parties.extension.register_error_record_reader``)."""
    keys = {summary["id"].upper() for summary in doc.get("error_records") or []}
    if not keys:
        return {}
    return read_error_records(country_code=doc["country_code"].upper(), party_id=doc["party_id"].upper(), keys=keys)
