"""CDRs posted by CPOs (receiver POST): validated, quality-checked, linked to their Session, stored once,
routed to the token owner.

Rules (OCPI 2.2.1/2.3.0 §CDRs; design.md §3, §5):
- the CDR's country_code/party_id must be one of the caller's CPO roles;
- CDRs are immutable: a repeated (country_code, party_id, id) is acknowledged (1000, same Location) and
  neither stored nor forwarded again, whatever its content;
- quality errors -> 2001 naming the field, nothing stored (warnings too on strict platforms); warnings are
  stored with the CDR and named in the answer's status_message;
- a credit CDR (``credit: true``) must reference, by ``credit_reference_id``, a stored CDR of the same CPO;
- the chargex-errors extension fields are validated (2001 naming the field), stored in the document and
  checked like the rest (an ``error_records`` entry naming no stored ErrorRecord of the CPO is a warning);
- every CDR is priced from its tariff (``cdrs.pricing``): a cost that differs is a warning (COST_MISMATCH),
  never a 2001; the computed breakdown is stored in the document as ``cost_breakdown``;
- receiver = the token owner (``sessions.routing``); 4001/4003 are answered and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError

from cdrs.linking import Link, LinkLookups, cdr_link, link_issues, link_lookups
from cdrs.models import Cdr
from cdrs.pricing import PriceCheck, PricingLookups, cdr_price_check, pricing_lookups
from cdrs.selectors import cdr_get, cdr_key_lookup
from cdrs.wire import BREAKDOWN_FIELD, parse_cdr
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.api.routing import RoutingHeaders
from ocpi_hub.db import Found, Lookup, execute_atomically, insert_statement, lookup_together
from ocpi_hub.exceptions import InvalidParameters
from parties import policy
from parties.models import Platform
from parties.services.delivery import deliveries_queued, enqueue_statement
from parties.tenancy import require_own_party
from sessions.quality import Report, cdr_report, enforce, error_record_issues, warnings_message
from sessions.routing import ReceiverLookups, receiver_lookups, token_receiver_found
from sessions.selectors import EvseLookups, error_records_named, evse_lookups
from sessions.services import Released, release_held

MODULE = "cdrs"
DUPLICATE = "Already received: CDRs are immutable, the stored CDR is kept"
Doc = dict[str, Any]


@dataclass(frozen=True)
class CdrResult:
    cdr: Cdr
    created: bool
    message: str | None = None


def cdr_create(
    *,
    platform: Platform,
    version: str,
    body: Any,
    routing: RoutingHeaders | None = None,
    correlation_id: str = "",
    pricing: bool | None = None,
) -> CdrResult:
    """Store a new CDR and queue it for the token owner; a known (country_code, party_id, id) is a no-op.

    The ingest hot path (bench E1): everything the checks and the routing read is one query
    (``cdr_lookups``), the CDR row and its outbox row one statement on PostgreSQL. ``pricing``: run the tariff
    check (None: as ``OCPI_HUB_PRICING`` says)."""
    if not isinstance(body, dict):
        raise InvalidParameters("body: must be a JSON object")
    doc = parse_cdr(version, body, lenient=platform.is_lenient)
    country_code, party_id = require_own_party(platform, doc["country_code"], doc["party_id"], roles=("CPO",))
    lookups = cdr_lookups(country_code=country_code, party_id=party_id, doc=doc, routing=routing, pricing=pricing)
    found = lookup_together(lookups.all())
    if found.row(lookups.duplicate) is not None:
        return _duplicate(country_code, party_id, doc)
    report, link, original, check = cdr_quality(
        platform=platform, version=version, doc=doc, raw=body, found=found, lookups=lookups, pricing=pricing
    )
    receiver_id, party = token_receiver_found(found, lookups.receiver, routing=routing, cdr_token=doc["cdr_token"])
    cdr = Cdr(
        owner=platform,
        receiver_id=receiver_id,
        receiver_country_code=party.country_code,
        receiver_party_id=party.party_id,
        version=version,
    )
    _fill(cdr, doc, report, link, original)
    _fill_pricing(cdr, check)
    # Without a roaming agreement (routing policy "agreements") the CDR is stored and flagged, not forwarded.
    cdr.no_agreement = not policy.may_route((country_code, party_id), party, MODULE)
    queue = None
    if not cdr.no_agreement:
        queue = enqueue_statement(
            receiver_id=receiver_id, module=MODULE, object_key=cdr.object_key, correlation_id=correlation_id
        )
    try:
        inserted, queued = execute_atomically([insert_statement(cdr), queue])
    except IntegrityError:  # the same CDR, posted concurrently, was stored first
        return _duplicate(country_code, party_id, doc)
    cdr.pk = inserted[0][0]
    deliveries_queued(queued)
    return CdrResult(cdr, created=True, message=warnings_message(report))


def cdrs_release_held(cdrs: Iterable[Cdr]) -> Released:
    """Held CDRs (stored without a roaming agreement) whose CPO and eMSP now have one covering ``sessions``
    are forwarded (``sessions.services.release_held``)."""
    return release_held(cdrs, MODULE)


@dataclass(frozen=True)
class CdrLookups:
    """What a CDR POST reads, as look-ups of the apps that own the tables; ``all()`` runs as one query."""

    duplicate: Lookup  # a stored CDR of the same id
    link: LinkLookups  # the Sessions it may link to
    evse: EvseLookups  # its EVSE
    receiver: ReceiverLookups  # its receiver
    pricing: PricingLookups  # the tariffs and time zone of the tariff check

    def all(self) -> list[Lookup | None]:
        return [self.duplicate, *self.link.all(), *self.evse.all(), *self.receiver.all(), *self.pricing.all()]


def cdr_lookups(
    *, country_code: str, party_id: str, doc: Doc, routing: RoutingHeaders | None, pricing: bool | None = None
) -> CdrLookups:
    """What a CDR POST reads (``ocpi_hub.db.lookup_together`` runs them as one query)."""
    location = doc["cdr_location"]
    return CdrLookups(
        duplicate=cdr_key_lookup(country_code=country_code, party_id=party_id, cdr_id=doc["id"]),
        link=link_lookups(country_code=country_code, party_id=party_id, doc=doc),
        evse=evse_lookups(
            country_code=country_code, party_id=party_id, location_id=location["id"], evse_uid=location["evse_uid"]
        ),
        receiver=receiver_lookups(routing=routing, cdr_token=doc["cdr_token"]),
        pricing=pricing_lookups(country_code=country_code, party_id=party_id, doc=doc, enabled=pricing),
    )


def cdr_quality(
    *,
    platform: Platform,
    version: str,
    doc: Doc,
    raw: Any,
    found: Found,
    lookups: CdrLookups,
    pricing: bool | None = None,
) -> tuple[Report, Link, Cdr | None, PriceCheck | None]:
    """The quality report of a CDR, its Session link, the CDR it credits and its tariff check (raises 2001
    when rejected); ``found``: the rows of ``lookups``."""
    country_code, party_id = doc["country_code"].upper(), doc["party_id"].upper()
    report = cdr_report(doc, raw, version=version, lenient=platform.is_lenient)
    link = cdr_link(found, lookups.link)
    link_issues(report, doc, link)
    original = _credited(report, country_code, party_id, doc)
    if lookups.evse.known(found) is False:
        location = doc["cdr_location"]
        report.add(
            "EVSE_UNKNOWN",
            "cdr_location.evse_uid",
            f"EVSE {location['evse_uid']} of location {location['id']} is unknown",
        )
    error_record_issues(report, doc, error_records_named(doc))
    check = cdr_price_check(report, doc, found, lookups.pricing, enabled=pricing)
    enforce(report, strictness=platform.strictness)
    return report, link, original, check


def _fill_pricing(cdr: Cdr, check: PriceCheck | None) -> None:
    """The tariff check's breakdown goes into the document (``cost_breakdown``), its difference to a column."""
    if check is None:
        return
    cdr.document = {**cdr.document, BREAKDOWN_FIELD: check.document()}
    cdr.cost_difference = check.cost_difference


def _duplicate(country_code: str, party_id: str, doc: Doc) -> CdrResult:
    existing = cdr_get(country_code=country_code, party_id=party_id, cdr_id=doc["id"])
    if existing is None:  # an IntegrityError that was not the unique CDR id
        raise InvalidParameters(f"id: CDR {country_code}/{party_id}/{doc['id']} could not be stored")
    return CdrResult(existing, created=False, message=DUPLICATE)


def _credited(report: Report, country_code: str, party_id: str, doc: Doc) -> Cdr | None:
    reference = doc.get("credit_reference_id")
    if not doc.get("credit") or not reference:
        return None
    original = cdr_get(country_code=country_code, party_id=party_id, cdr_id=reference)
    if original is None:
        report.add(
            "CREDIT_REFERENCE_UNKNOWN",
            "credit_reference_id",
            f"no CDR '{reference}' of {country_code}/{party_id} is known",
        )
    return original


def _fill(cdr: Cdr, doc: Doc, report: Report, link: Link, original: Cdr | None) -> None:
    cdr.country_code, cdr.party_id = doc["country_code"].upper(), doc["party_id"].upper()
    cdr.cdr_id, cdr.cdr_key = doc["id"], doc["id"].upper()
    cdr.start_date_time = parse_datetime(doc["start_date_time"])
    cdr.end_date_time = parse_datetime(doc["end_date_time"])
    cdr.token_uid_key = doc["cdr_token"]["uid"].upper()
    cdr.evse_uid_key = doc["cdr_location"]["evse_uid"].upper()
    cdr.session_ref = doc.get("session_id") or ""
    cdr.session_id, cdr.link_method = link.session_id, link.method
    cdr.credit, cdr.credit_reference = bool(doc.get("credit")), original
    cdr.total_energy = float(doc["total_energy"])
    cdr.currency = doc["currency"]
    cdr.last_updated = parse_datetime(doc["last_updated"])
    cdr.document = doc
    cdr.quality_warnings = report.stored_warnings()
    cdr.warning_codes = report.codes_text()
