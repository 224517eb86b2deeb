"""Writes of roaming agreements: create, activate, suspend, end, and a CSV bulk import.

Activating an agreement back-fills the receiving sides through the delivery engine in the same transaction
(the functional apps' back-fills, ``parties.policy.register_backfill``): the eMSP gets the CPO's current
Locations and Tariffs, the CPO the eMSP's Tokens. Suspending or ending one stops every further route at once
(the routes ask ``parties.policy``); rows already queued for the pair are not sent (``_drop_queued``). Either
way the two parties' platforms get a HubClientInfo update, so 2.3.0 parties see who is reachable. Under the
policy ``open`` a status change is recorded only (everything flows anyway): no back-fill, nothing dropped.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ocpi_hub.api.datetimes import DateTimeFormatError, parse_datetime
from ocpi_hub.exceptions import InvalidParameters
from parties import policy
from parties.models import SCOPES, Agreement, AgreementStatus, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)
CPO_MODULES = ("locations", "tariffs", "chargex-errors")  # what flows from the CPO side
EMSP_MODULES = ("tokens",)  # what flows from the eMSP side


def _party(value: str, what: str) -> tuple[str, str]:
    """'NL/CPA' (or 'NL-CPA') as (country_code, party_id); 2001 naming ``what`` otherwise."""
    cc, _, pid = value.strip().upper().replace("-", "/").partition("/")
    if len(cc) != 2 or not cc.isalpha() or not 1 <= len(pid) <= 3 or not pid.isalnum():
        raise InvalidParameters(f"{what}: '{value}' is not a country_code/party_id pair such as NL/CPA")
    return cc, pid


def agreement_create(
    *,
    cpo: str | tuple[str, str],
    emsp: str | tuple[str, str],
    scopes: list[str] | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    note: str = "",
    activate: bool = False,
) -> Agreement:
    """A new agreement (proposed, or active at once with ``activate``). 2001 for a bad party, an unknown scope,
    dates in the wrong order, or a pair that already has one that has not ended."""
    cpo_cc, cpo_pid = _party(cpo, "cpo") if isinstance(cpo, str) else (cpo[0].upper(), cpo[1].upper())
    emsp_cc, emsp_pid = _party(emsp, "emsp") if isinstance(emsp, str) else (emsp[0].upper(), emsp[1].upper())
    chosen = list(SCOPES) if not scopes else [scope.strip().lower() for scope in scopes if scope.strip()]
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown:
        raise InvalidParameters(f"scopes: {', '.join(unknown)} unknown (known: {', '.join(SCOPES)})")
    if valid_from and valid_until and valid_until <= valid_from:
        raise InvalidParameters("valid_until: must be after valid_from")
    agreement = Agreement(
        cpo_country_code=cpo_cc,
        cpo_party_id=cpo_pid,
        emsp_country_code=emsp_cc,
        emsp_party_id=emsp_pid,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note[:255],
        **{scope: scope in chosen for scope in SCOPES},
    )
    try:
        with transaction.atomic():
            agreement.save()
            if activate:
                agreement_activate(agreement=agreement)
    except IntegrityError:
        raise InvalidParameters(
            f"cpo/emsp: {agreement.cpo} and {agreement.emsp} already have an agreement that has not ended"
        ) from None
    logger.info("Agreement created: %s", agreement, extra={"event": "agreement.created", "agreement": agreement.pk})
    return agreement


def agreement_change(*, agreement: Agreement, changed: list[str]) -> int:
    """Save an edited agreement (scope, validity, note; the pair and the status do not change here). An active
    one whose scope or validity changed is back-filled again (what it newly covers; rows of objects already
    queued merge) and announced; returns the rows queued."""
    routing = {"valid_from", "valid_until", *SCOPES}
    with transaction.atomic():
        agreement.save()
        if agreement.status != AgreementStatus.ACTIVE or not routing & set(changed) or not policy.enforced():
            return 0
        queued = policy.run_backfills(agreement) if _routes_now(agreement) else 0
        _client_info(agreement)
    return queued


def agreement_activate(*, agreement: Agreement) -> int:
    """Make the agreement active and back-fill both sides; the rows queued (0 if it was active or ended)."""
    if agreement.status in (AgreementStatus.ACTIVE, AgreementStatus.ENDED):
        return 0
    with transaction.atomic():
        agreement.status = AgreementStatus.ACTIVE
        agreement.activated_at = timezone.now()
        agreement.save(update_fields=["status", "activated_at", "updated_at"])
        queued = 0
        if policy.enforced():  # under open everything flows already: nothing to back-fill or announce
            queued = policy.run_backfills(agreement) if _routes_now(agreement) else 0
            _client_info(agreement)
    logger.info(
        "Agreement active: %s (%s rows back-filled)",
        agreement,
        queued,
        extra={"event": "agreement.activated", "agreement": agreement.pk, "queued": queued},
    )
    return queued


def agreement_suspend(*, agreement: Agreement) -> bool:
    """Stop routing for the pair until the agreement is activated again."""
    return _stop(agreement, AgreementStatus.SUSPENDED, allowed=(AgreementStatus.ACTIVE, AgreementStatus.PROPOSED))


def agreement_end(*, agreement: Agreement) -> bool:
    """End the agreement for good (it stays as history; a new one may be made for the pair)."""
    return _stop(
        agreement,
        AgreementStatus.ENDED,
        allowed=(AgreementStatus.ACTIVE, AgreementStatus.PROPOSED, AgreementStatus.SUSPENDED),
    )


def _stop(agreement: Agreement, status: str, *, allowed: tuple[str, ...]) -> bool:
    if agreement.status not in allowed:
        return False
    with transaction.atomic():
        was_active = agreement.status == AgreementStatus.ACTIVE
        agreement.status = status
        if status == AgreementStatus.ENDED:
            agreement.ended_at = timezone.now()
        agreement.save(update_fields=["status", "ended_at", "updated_at"])
        if was_active and policy.enforced():
            _drop_queued(agreement)
            _client_info(agreement)
    logger.info(
        "Agreement %s: %s", status, agreement, extra={"event": f"agreement.{status}", "agreement": agreement.pk}
    )
    return True


def _routes_now(agreement: Agreement) -> bool:
    now = timezone.now()
    return (agreement.valid_from is None or agreement.valid_from <= now) and (
        agreement.valid_until is None or agreement.valid_until > now
    )


def _drop_queued(agreement: Agreement) -> int:
    """Pending rows of the pair's objects that no other agreement still routes: superseded (never sent)."""
    dropped = 0
    sides = [
        (
            agreement.cpo_country_code,
            agreement.cpo_party_id,
            policy.CPO,
            CPO_MODULES,
            ("EMSP", "NSP", "NAP", "OTHER"),
            agreement.emsp_country_code,
            agreement.emsp_party_id,
        ),
        (
            agreement.emsp_country_code,
            agreement.emsp_party_id,
            policy.EMSP,
            EMSP_MODULES,
            ("CPO",),
            agreement.cpo_country_code,
            agreement.cpo_party_id,
        ),
    ]
    now = timezone.now()
    for owner_cc, owner_pid, owner_side, modules, roles, other_cc, other_pid in sides:
        receivers = policy.role_platforms((other_cc, other_pid), roles)
        for module in modules:
            still = policy.platforms_agreed(
                receivers, module=module, owner=(owner_cc, owner_pid), owner_side=owner_side, receiver_roles=roles
            )
            dropped += Delivery.objects.filter(
                receiver__in=receivers.exclude(pk__in=still.values("pk")),
                module=module,
                status=DeliveryStatus.PENDING,
                object_key__startswith=f"{owner_cc}/{owner_pid}/",
            ).update(status=DeliveryStatus.SUPERSEDED, completed_at=now, last_error="roaming agreement stopped")
    return dropped


def _client_info(agreement: Agreement) -> None:
    """HubClientInfo updates between the pair's platforms (what each may now reach changed)."""
    from parties.services.clientinfo import client_info_changed  # clientinfo imports delivery, not this

    platforms = set(policy.role_platforms((agreement.cpo_country_code, agreement.cpo_party_id), ("CPO",)))
    platforms |= set(policy.role_platforms((agreement.emsp_country_code, agreement.emsp_party_id), ("EMSP",)))
    for platform in platforms:
        client_info_changed(platform=platform, only_to=platforms - {platform})


@dataclass
class ImportResult:
    created: list[Agreement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


CSV_COLUMNS = ("cpo", "emsp", "status", "scopes", "valid_from", "valid_until", "note")


def agreements_import_csv(text: str) -> ImportResult:
    """Create agreements from CSV with a header row: ``cpo,emsp[,status][,scopes][,valid_from][,valid_until]
    [,note]`` (cpo/emsp as NL/CPA; status proposed or active; scopes separated by spaces or "|", empty: all).
    Each line is created on its own; bad lines are reported by line number and skipped."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "cpo" not in header or "emsp" not in header:
        result.errors.append("header: the first line must name the columns, at least cpo and emsp")
        return result
    unknown = sorted(set(header) - set(CSV_COLUMNS))
    if unknown:
        result.errors.append(f"header: unknown columns {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)})")
        return result
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        try:
            status = (row.get("status") or AgreementStatus.PROPOSED).lower()
            if status not in (AgreementStatus.PROPOSED, AgreementStatus.ACTIVE):
                raise InvalidParameters(f"status: '{status}' (proposed or active)")
            scopes = row.get("scopes", "").replace("|", " ").replace(",", " ").split()
            result.created.append(
                agreement_create(
                    cpo=row.get("cpo", ""),
                    emsp=row.get("emsp", ""),
                    scopes=scopes,
                    valid_from=_csv_time(row.get("valid_from", ""), "valid_from"),
                    valid_until=_csv_time(row.get("valid_until", ""), "valid_until"),
                    note=row.get("note", ""),
                    activate=status == AgreementStatus.ACTIVE,
                )
            )
        except InvalidParameters as exc:
            result.errors.append(f"line {number}: {exc.message}")
    return result


def _csv_time(value: str, what: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except DateTimeFormatError as exc:
        raise InvalidParameters(f"{what}: {exc}") from None
