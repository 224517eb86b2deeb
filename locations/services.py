"""Locations pushed by CPOs: PUT/PATCH at Location, EVSE and Connector level, stored and broadcast.

One transaction per push: the Location row (its canonical document), the EVSE rows, the EVSE status history
and one outbox Delivery per receiver are written together, or nothing is.

Rules (OCPI 2.2.1/2.3.0 §Locations, notes §1.8):
- the URL's country_code/party_id must be one of the caller's CPO roles; ids in the URL must equal the body;
- a PUT/PATCH of an EVSE or Connector needs the Location (and EVSE) to exist, and sets the parents'
  ``last_updated`` to the child's (unless theirs is newer);
- an update older than the stored object is acknowledged but neither applied nor forwarded; so is an
  update that changes nothing;
- PATCH: ``last_updated`` is required; the body is merged into the stored object (objects recursively,
  lists replaced) and the result validated with the full model of the caller's version;
- publish=false Locations are not broadcast; the update that unpublishes a Location is (so receivers stop
  showing it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction

from locations.documents import (
    PARSERS,
    Doc,
    LocationRef,
    duplicate_id,
    find_evse,
    find_part,
    patched,
    timestamp,
    with_part,
)
from locations.models import Location
from locations.rows.evse import evse_rows_change
from locations.rows.location import SAVED, location_lock, location_read, location_update
from locations.selectors import locations_for_sync
from locations.wire import status_patched
from ocpi_hub.api.routing import RoutingHeaders
from ocpi_hub.db import Statement, atomic_with_retry, execute_together
from ocpi_hub.exceptions import InvalidParameters
from ocpi_hub.push import BROADCAST_ROLES, CPO_ROLES, PushResult, patch_timestamp, stale_message, unchanged_message
from parties import policy
from parties.models import Agreement, Platform
from parties.routing import is_hub, resolve_receiver
from parties.selectors import receivers_for
from parties.services.delivery import broadcast_statement, deliveries_queued, delivery_enqueue, enqueue_statement
from parties.tenancy import require_pushed_object
from tariffs.selectors import tariffs_for_sync  # Locations depend on Tariffs, never the reverse

MODULE = "locations"
STALE, UNCHANGED = stale_message("object"), unchanged_message("object")

_ID_FIELDS = {"location": "id", "evse": "uid", "connector": "id"}


def location_put(
    *,
    platform: Platform,
    version: str,
    ref: LocationRef,
    body: Any,
    lenient: bool = False,
    correlation_id: str = "",
    routing: RoutingHeaders | None = None,
) -> PushResult:
    """Create or replace the Location, EVSE or Connector at ``ref``. A Location PUT whose OCPI-to-* names one
    receiver (not the hub) is a targeted push: the Location goes to that receiver only, from then on, until a
    PUT of the Location names another or none (docs/modules/locations.md)."""
    ref = _checked(platform, ref, body)
    part = PARSERS[ref.level](version, body, lenient=lenient)
    target = _push_target(routing) if ref.level == "location" else None

    def put(location: Location | None) -> Plan:
        if location is None:
            if ref.level != "location":
                raise _unknown(ref, "location")
        elif ref.level == "connector" and find_evse(location.document, ref.evse_uid or "") is None:
            raise _unknown(ref, "evse")
        plan = _plan(location, ref, part)
        if ref.level != "location" or location is None or _target_of(location) == target:
            return plan
        if plan == PushResult(applied=False, message=UNCHANGED):  # the same Location, another receiver
            plan = Write(document=location.document, previous=location.document, was_published=location.publish)
        return replace(plan, target=target, retarget=True) if isinstance(plan, Write) else plan

    return _push(platform, ref, put, correlation_id, new_target=target)


def _push_target(routing: RoutingHeaders | None) -> Target | None:
    """The one receiver a targeted push names in OCPI-to-* (None: a broadcast, or OCPI-to-* is the hub)."""
    if routing is None or routing.receiver is None or is_hub(routing.receiver):
        return None
    receiver, party = resolve_receiver(routing=routing, candidates=[], roles=BROADCAST_ROLES)
    return Target(receiver.pk, party.country_code, party.party_id)


def _target_of(location: Location) -> Target | None:
    if location.target_id is None:
        return None
    return Target(location.target_id, location.target_country_code, location.target_party_id)


def location_patch(
    *,
    platform: Platform,
    version: str,
    ref: LocationRef,
    body: Any,
    lenient: bool = False,
    correlation_id: str = "",
) -> PushResult:
    """Merge a partial update into the stored Location, EVSE or Connector at ``ref``."""
    ref = _checked(platform, ref, body)
    changed_at = patch_timestamp(body, lenient=lenient)

    def patch(location: Location | None) -> Plan:
        current = find_part(location.document, ref.evse_uid, ref.connector_id) if location else None
        if location is None or current is None:
            raise _unknown(ref, "location" if location is None else ref.level)
        if changed_at < timestamp(current):
            return PushResult(applied=False, message=STALE)
        part = status_patched(current, body, version, lenient=lenient) if ref.level == "evse" else None
        if part is None:
            part = patched(version, ref.level, current, body, lenient=lenient)
        return _plan(location, ref, part)

    return _push(platform, ref, patch, correlation_id)


# --- checks ---------------------------------------------------------------------------------------------------


def _checked(platform: Platform, ref: LocationRef, body: Any) -> LocationRef:
    """Tenancy and URL/body consistency; returns the ref with the owner normalised to upper case."""
    last_id = {"location": ref.location_id, "evse": ref.evse_uid, "connector": ref.connector_id}[ref.level]
    country_code, party_id = require_pushed_object(
        platform,
        country_code=ref.country_code,
        party_id=ref.party_id,
        object_id=last_id or "",
        body=body,
        id_field=_ID_FIELDS[ref.level],
        owned=ref.level == "location",  # EVSEs and Connectors carry no owner
        roles=CPO_ROLES,
    )
    return replace(ref, country_code=country_code, party_id=party_id)


def _unknown(ref: LocationRef, level: str) -> InvalidParameters:
    names = {
        "location": f"location {ref.country_code}/{ref.party_id}/{ref.location_id}",
        "evse": f"EVSE {ref.evse_uid} of location {ref.location_id}",
        "connector": f"connector {ref.connector_id} of EVSE {ref.evse_uid}",
    }
    return InvalidParameters(f"Unknown {names[level]}: PUT it first")


# --- storing: a pure plan, then one of two executors ---------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The one receiver of a targeted push: its platform and the party OCPI-to-* named."""

    receiver_id: int
    country_code: str
    party_id: str


@dataclass(frozen=True)
class Write:
    """What a push writes: the Location's new document (``previous``: its stored one, None for a new Location;
    ``was_published``: whether the stored one was published, so that unpublishing is broadcast); with
    ``retarget``, its push target becomes ``target`` (a Location PUT naming another receiver, or none)."""

    document: Doc
    previous: Doc | None
    was_published: bool
    target: Target | None = None
    retarget: bool = False
    only_missed: bool = False  # a repeat of an EVSE's state (only last_updated newer): see _plan


Plan = PushResult | Write  # a PushResult: nothing to write (stale, unchanged), the answer as it is


def _plan(location: Location | None, ref: LocationRef, part: Doc) -> Plan:
    """What writing ``part`` at ``ref`` of the stored ``location`` (None: not stored) comes to; no database."""
    repeated = duplicate_id(part, ref.level)
    if repeated is not None:
        raise InvalidParameters(f"{repeated}: used twice (ids are case-insensitive)")
    current = find_part(location.document, ref.evse_uid, ref.connector_id) if location else None
    if current is not None and timestamp(part) < timestamp(current):
        return PushResult(applied=False, message=STALE)
    if current == part:
        return PushResult(applied=False, message=UNCHANGED)
    if location is None:
        return Write(document=part, previous=None, was_published=False)
    return Write(
        document=with_part(location.document, ref, part),
        previous=location.document,
        was_published=location.publish,
        only_missed=ref.level == "evse" and current is not None and _same_but_time(current, part),
    )


def _same_but_time(current: Doc, part: Doc) -> bool:
    """Whether an EVSE push repeats the stored state with only a newer ``last_updated`` (CPOs resend the status
    every few minutes): stored, but sent only to receivers that missed the current state."""
    return {**current, "last_updated": None} == {**part, "last_updated": None}


def _push(
    platform: Platform,
    ref: LocationRef,
    plan_for: Callable[[Location | None], Plan],
    correlation_id: str,
    *,
    new_target: Target | None = None,
) -> PushResult:
    """Plan the push against the stored Location at ``ref`` and write it. On PostgreSQL, when the Location
    exists, first optimistically (read without a lock, write only if the row is unchanged: one statement, no
    transaction, two round trips); when that does not apply (a concurrent push changed the Location, or the
    push creates rows), for a new Location, and elsewhere, in a transaction with the row locked. A push that
    creates rows always runs in the transaction: it is written whole or not at all; so does a push of a
    targeted Location (rare: the locked way writes its target too)."""
    if connection.vendor == "postgresql":
        location, row_version = location_read(ref)
        if location is not None:
            plan = plan_for(location)
            if isinstance(plan, PushResult):
                return plan
            optimistic = not plan.retarget and location.target_id is None
            if optimistic and _write_optimistic(platform, location, row_version, ref, plan, correlation_id):
                return PushResult(applied=True)

    def locked() -> PushResult:
        location = location_lock(ref)
        plan = plan_for(location)
        if isinstance(plan, PushResult):
            return plan
        if location is None:
            plan = replace(plan, target=new_target, retarget=True)
        _write_locked(platform, location, ref, plan, correlation_id)
        return PushResult(applied=True)

    return atomic_with_retry(locked)


def _write_optimistic(
    platform: Platform, location: Location, row_version: str, ref: LocationRef, plan: Write, correlation_id: str
) -> bool:
    """Write ``plan`` in one statement if the Location row still has ``row_version`` (PostgreSQL's ``xmin``)
    and the push creates no rows; False when it wrote nothing (the caller goes the locked way)."""
    save = location_update(
        location,
        owner_id=platform.pk,
        document=plan.document,
        last_updated=timestamp(plan.document),
        row_version=row_version,
    )
    evses = evse_rows_change(location=location, previous=plan.previous, uid=ref.evse_uid)
    if evses.creates_rows:
        return False
    broadcast = _broadcast(platform, location, ref, plan, correlation_id, only_if=SAVED)
    saved, _, _, queued = execute_together([save, *evses.statements(only_if=SAVED), broadcast])
    if not saved:
        return False  # changed since it was read: nothing was written
    deliveries_queued(queued)
    return True


def _write_locked(
    platform: Platform, location: Location | None, ref: LocationRef, plan: Write, correlation_id: str
) -> None:
    """Write ``plan`` in the caller's transaction, the Location row locked (or created)."""
    save: Statement | None = None
    if location is None:
        location = _create(platform, ref, plan.document)
    else:
        save = location_update(
            location, owner_id=platform.pk, document=plan.document, last_updated=timestamp(plan.document)
        )
    if plan.retarget:
        _set_target(location, plan.target)
    evses = evse_rows_change(location=location, previous=plan.previous, uid=ref.evse_uid)
    broadcast = _broadcast(platform, location, ref, plan, correlation_id, only_if="")
    # one statement on PostgreSQL: the Location row, the EVSE rows and their history, the outbox rows
    _, evses_updated, _, queued = execute_together([save, *evses.statements(), broadcast])
    evses.finish(evses_updated)
    deliveries_queued(queued)


def _broadcast(
    platform: Platform, location: Location, ref: LocationRef, plan: Write, correlation_id: str, *, only_if: str
) -> Statement | None:
    """The outbox rows of the push: published Locations, and the update that unpublishes one; a targeted
    Location's for its one receiver only (if a roaming agreement allows it)."""
    if not (location.publish or plan.was_published):
        return None
    if location.target_id is not None:
        emsp = (location.target_country_code, location.target_party_id)
        if not policy.may_route((location.country_code, location.party_id), emsp, MODULE):
            return None  # no roaming agreement with the receiver named: stored, not sent
        return enqueue_statement(
            receiver_id=location.target_id,
            module=MODULE,
            object_key=location.object_key,
            target=_target(ref),
            correlation_id=correlation_id,
        )
    return broadcast_statement(
        module=MODULE,
        object_key=location.object_key,
        roles=BROADCAST_ROLES,
        exclude=platform,
        target=_target(ref),
        correlation_id=correlation_id,
        only_if=only_if,
        owner=(location.country_code, location.party_id),
        only_missed=plan.only_missed,
    )


def _create(platform: Platform, ref: LocationRef, document: Doc) -> Location:
    return Location.objects.create(
        owner=platform,
        country_code=ref.country_code,
        party_id=ref.party_id,
        location_id=document["id"],
        location_key=document["id"].upper(),
        publish=bool(document["publish"]),
        last_updated=timestamp(document),
        document=document,
    )


def _set_target(location: Location, target: Target | None) -> None:
    """Store the Location's push target (in the caller's transaction), and on the instance."""
    location.target_id = target.receiver_id if target else None
    location.target_country_code = target.country_code if target else ""
    location.target_party_id = target.party_id if target else ""
    fields = {"target_id": location.target_id, "target_country_code": location.target_country_code}
    Location.objects.filter(pk=location.pk).update(**fields, target_party_id=location.target_party_id)


def _target(ref: LocationRef) -> str:
    """The sub-object a delivery pushes: "" (Location), "<evse_uid>" or "<evse_uid>/<connector_id>"."""
    return "/".join(part for part in (ref.evse_uid, ref.connector_id) if part is not None)


# --- initial sync ---------------------------------------------------------------------------------------------


def initial_sync(
    platform: Platform, *, progress: Callable[[int, int], None] | None = None, batch_size: int = 200
) -> int:
    """Queue every live Tariff and every published Location for ``platform`` (a newly connected receiver);
    Tariffs first, as Connectors refer to them. Only modules whose receiver interface the platform
    implements, only if it is connected with a broadcast role; its own objects are skipped. Returns the
    number of deliveries queued; ``progress(done, total)`` is called after each batch."""
    jobs = [(module, keys) for module, keys in _sync_keys(platform) if keys]
    total, done = sum(len(keys) for _, keys in jobs), 0
    for module, keys in jobs:
        for start in range(0, len(keys), batch_size):
            batch = keys[start : start + batch_size]
            with transaction.atomic():
                for object_key in batch:
                    delivery_enqueue(receiver=platform, module=module, object_key=object_key)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    return done


def agreement_backfill(agreement: Agreement) -> int:
    """A roaming agreement became active: queue the CPO's current published Locations and live Tariffs for
    the eMSP's platform (Tariffs first), when it receives them and the agreement covers them."""
    owner = {"country_code": agreement.cpo_country_code, "party_id": agreement.cpo_party_id}
    sources = [
        ("tariffs", agreement.tariffs, tariffs_for_sync().filter(**owner), "tariff_id"),
        (MODULE, agreement.locations, locations_for_sync().filter(**owner), "location_id"),
    ]
    emsp = (agreement.emsp_country_code, agreement.emsp_party_id)
    queued = 0
    for module, covered, queryset, id_field in sources:
        if not covered:
            continue
        agreed = policy.role_platforms(emsp, BROADCAST_ROLES).values("pk")
        receivers = receivers_for(module, roles=BROADCAST_ROLES).filter(pk__in=agreed)
        keys = [f"{cc}/{pid}/{object_id}" for cc, pid, object_id in queryset.values_list(*owner, id_field)]
        for receiver in receivers:
            for object_key in keys:
                queued += delivery_enqueue(receiver=receiver, module=module, object_key=object_key)
    return queued


def _sync_keys(platform: Platform) -> list[tuple[str, list[str]]]:
    sources = [
        ("tariffs", tariffs_for_sync(), "tariff_id"),
        (MODULE, locations_for_sync(), "location_id"),
    ]
    jobs = []
    for module, queryset, id_field in sources:
        if not receivers_for(module, roles=BROADCAST_ROLES).filter(pk=platform.pk).exists():
            continue
        visible = policy.filter_visible(
            queryset.exclude(owner=platform), platform, module=module, viewer_side=policy.EMSP
        )
        rows = visible.values_list("country_code", "party_id", id_field)
        jobs.append((module, [f"{cc}/{pid}/{object_id}" for cc, pid, object_id in rows]))
    return jobs
