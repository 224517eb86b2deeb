"""Tariffs pushed by CPOs: PUT (create/replace) and DELETE, stored and broadcast.

One transaction per push (row + one outbox Delivery per receiver). The URL's country_code/party_id must be
one of the caller's CPO roles and the ids in the URL must equal the body; an update older than the stored
Tariff, or identical to it, is acknowledged but neither applied nor forwarded. DELETE is a soft delete so
that the delete itself can be pushed; a later PUT brings the Tariff back. Every applied PUT is also kept as
a ``TariffVersion`` (the history that prices older CDRs).

Targeted push (ocpi/ocpi #507/#508): a PUT whose ``OCPI-to-*`` names one receiver (not the hub) goes to that
receiver only and is kept out of everyone else's GET of all Tariffs; each PUT routes again (the last one
decides); a DELETE goes where the Tariff went.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.api.routing import RoutingHeaders
from ocpi_hub.db import atomic_with_retry
from ocpi_hub.exceptions import InvalidParameters, NotFound
from ocpi_hub.push import BROADCAST_ROLES, CPO_ROLES, PushResult, stale_message, unchanged_message
from parties import policy
from parties.models import Platform
from parties.routing import is_hub, resolve_receiver
from parties.services.delivery import delivery_broadcast, delivery_enqueue
from parties.tenancy import require_matching_body, require_own_party
from tariffs.lock_objects import tariff_lock
from tariffs.models import Tariff, TariffVersion
from tariffs.wire import parse_tariff

MODULE = "tariffs"
STALE, UNCHANGED = stale_message("tariff"), unchanged_message("tariff")


def tariff_put(
    *,
    platform: Platform,
    version: str,
    country_code: str,
    party_id: str,
    tariff_id: str,
    body: Any,
    lenient: bool = False,
    correlation_id: str = "",
    routing: RoutingHeaders | None = None,
) -> PushResult:
    """Create or replace a Tariff (also one that was deleted)."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=CPO_ROLES)
    target, target_party = None, None
    if routing is not None and routing.receiver is not None and not is_hub(routing.receiver):
        target, target_party = resolve_receiver(routing=routing, candidates=[], roles=BROADCAST_ROLES)
    if not isinstance(body, dict):
        raise InvalidParameters("body: must be a JSON object")
    for field, value in (("country_code", country_code), ("party_id", party_id), ("id", tariff_id)):
        require_matching_body(value, body, field)
    document = parse_tariff(version, body, lenient=lenient)

    def put() -> PushResult:
        tariff = tariff_lock(country_code=country_code, party_id=party_id, tariff_id=tariff_id)
        last_updated = parse_datetime(document["last_updated"])
        if tariff is not None and last_updated < tariff.last_updated:
            return PushResult(applied=False, message=STALE)
        same_target = tariff is not None and tariff.target_id == (target.pk if target else None)
        if tariff is not None and not tariff.is_deleted and tariff.document == document and same_target:
            return PushResult(applied=False, message=UNCHANGED)
        if tariff is None:
            tariff = Tariff(country_code=country_code, party_id=party_id)
        tariff.owner, tariff.tariff_id, tariff.tariff_key = platform, document["id"], document["id"].upper()
        tariff.last_updated, tariff.document, tariff.deleted_at = last_updated, document, None
        tariff.target = target
        tariff.target_country_code = target_party.country_code if target_party else ""
        tariff.target_party_id = target_party.party_id if target_party else ""
        tariff.save()
        tariff_version_keep(tariff)
        tariff_broadcast(tariff=tariff, exclude=platform, correlation_id=correlation_id)
        return PushResult(applied=True)

    return atomic_with_retry(put)


def tariff_version_keep(tariff: Tariff) -> TariffVersion:
    """Keep the Tariff's state just accepted as one more version (its history prices older CDRs)."""
    document = tariff.document
    return TariffVersion.objects.create(
        tariff=tariff,
        country_code=tariff.country_code,
        party_id=tariff.party_id,
        tariff_key=tariff.tariff_key,
        received_at=timezone.now(),
        last_updated=tariff.last_updated,
        start_date_time=_optional_time(document.get("start_date_time")),
        end_date_time=_optional_time(document.get("end_date_time")),
        document=document,
    )


def _optional_time(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def tariff_delete(
    *, platform: Platform, country_code: str, party_id: str, tariff_id: str, correlation_id: str = ""
) -> PushResult:
    """Soft-delete a Tariff and push the delete; repeating it changes nothing. 404 for an unknown Tariff."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=CPO_ROLES)
    with transaction.atomic():
        tariff = tariff_lock(country_code=country_code, party_id=party_id, tariff_id=tariff_id)
        if tariff is None:
            raise NotFound(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
        if tariff.is_deleted:
            return PushResult(applied=False, message="Already deleted")
        tariff.deleted_at = timezone.now()
        tariff.save(update_fields=["deleted_at", "updated_at"])
        tariff_broadcast(tariff=tariff, exclude=platform, correlation_id=correlation_id)
    return PushResult(applied=True)


def tariff_broadcast(*, tariff: Tariff, exclude: Platform | None = None, correlation_id: str = "") -> int:
    """Queue the Tariff's current state (or its delete) for its target, else for every connected receiver. In
    the transaction."""
    if tariff.target is not None:
        emsp = (tariff.target_country_code, tariff.target_party_id)
        if not policy.may_route((tariff.country_code, tariff.party_id), emsp, MODULE):
            return 0  # no roaming agreement with the eMSP named: stored, not sent
        return delivery_enqueue(
            receiver=tariff.target, module=MODULE, object_key=tariff.object_key, correlation_id=correlation_id
        )
    return delivery_broadcast(
        module=MODULE,
        object_key=tariff.object_key,
        roles=BROADCAST_ROLES,
        exclude=exclude or tariff.owner,
        correlation_id=correlation_id,
        owner=(tariff.country_code, tariff.party_id),
    )
