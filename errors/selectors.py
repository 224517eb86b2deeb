"""Reads of error records: the CPO's own, what was routed to an eMSP, and the rows behind the KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from errors.models import ErrorRecord, MrecCode
from errors.services import RECEIVER_ROLES, RecordRef
from ocpi_hub.exceptions import NotFound
from ocpi_hub.push import CPO_ROLES
from parties.extension import platform_opted_in
from parties.models import Platform
from parties.tenancy import require_own_party


def error_record_get_own(*, platform: Platform, ref: RecordRef) -> ErrorRecord:
    """A record of one of the caller's own CPO roles (receiver GET); 2001 for a foreign owner, 404 if unknown."""
    country_code, party_id = require_own_party(platform, ref.country_code, ref.party_id, roles=CPO_ROLES)
    record = ErrorRecord.objects.filter(
        country_code=country_code, party_id=party_id, record_key=ref.record_id.upper()
    ).first()
    if record is None:
        raise NotFound(f"Unknown error record {country_code}/{party_id}/{ref.record_id}")
    return record


def error_records_named_by(*, country_code: str, party_id: str, keys: set[str]) -> dict[str, dict[str, Any]]:
    """The CPO's stored error records among ``keys`` (upper-cased ids): ``{id: {scheme, code, severity}}``. The
    Sessions and CDRs apps read it through ``parties.extension.read_error_records`` (registered in ``ready``)."""
    rows = ErrorRecord.objects.filter(country_code=country_code, party_id=party_id, record_key__in=keys).values_list(
        "record_key", "scheme", "code", "severity"
    )
    return {key: {"scheme": scheme, "code": code, "severity": severity} for key, scheme, code, severity in rows}


def error_records_for_receiver(*, platform: Platform) -> QuerySet[ErrorRecord]:
    """What is routed to ``platform`` (sender GET): nothing unless it is an eMSP that opted in; then every
    EVSE-level record plus the private records of its own sessions (never its own records)."""
    is_receiver = any(role.role in RECEIVER_ROLES for role in platform.roles.all())
    if not (is_receiver and platform_opted_in(platform)):
        return ErrorRecord.objects.none()
    return ErrorRecord.objects.filter(Q(is_private=False) | Q(private_to=platform)).exclude(owner=platform)


def mrec_names() -> dict[str, str]:
    return dict(MrecCode.objects.values_list("code", "name"))


def error_records_scoped(
    *, cpo: tuple[str, str] | None = None, location_id: str | None = None
) -> QuerySet[ErrorRecord]:
    """Records of one CPO and/or location (dashboard filters)."""
    queryset = ErrorRecord.objects.all()
    if cpo is not None:
        queryset = queryset.filter(country_code=cpo[0], party_id=cpo[1])
    if location_id:
        queryset = queryset.filter(location_id=location_id.upper())
    return queryset


def error_rows(
    *, start: datetime, end: datetime, cpo: tuple[str, str] | None = None, location_id: str | None = None
) -> list[dict[str, Any]]:
    """Records that occurred in [start, end), as plain rows for ``errors.kpis``."""
    queryset = error_records_scoped(cpo=cpo, location_id=location_id).filter(
        occurred_at__gte=start, occurred_at__lt=end
    )
    return list(queryset.values(*ERROR_ROW_FIELDS))


def open_error_rows(
    *, at: datetime, cpo: tuple[str, str] | None = None, location_id: str | None = None
) -> list[dict[str, Any]]:
    """Records open at ``at``: occurred at or before it, not cleared by then."""
    queryset = error_records_scoped(cpo=cpo, location_id=location_id).filter(occurred_at__lte=at)
    queryset = queryset.filter(Q(cleared_at__isnull=True) | Q(cleared_at__gt=at))
    return list(queryset.values(*ERROR_ROW_FIELDS))


ERROR_ROW_FIELDS = (
    "country_code",
    "party_id",
    "record_id",
    "location_id",
    "evse_uid",
    "session_id",
    "scheme",
    "code",
    "severity",
    "occurred_at",
    "cleared_at",
)


def session_rows(
    *, start: datetime, end: datetime, cpo: tuple[str, str] | None = None, location_id: str | None = None
) -> list[dict[str, Any]]:
    """Sessions started in [start, end) with their energy and whether an error record names them.
    Empty while the sessions app is not installed."""
    from django.apps import apps

    if not apps.is_installed("sessions"):
        return []
    from sessions.models import Session

    queryset = Session.objects.filter(start_date_time__gte=start, start_date_time__lt=end)
    if cpo is not None:
        queryset = queryset.filter(country_code=cpo[0], party_id=cpo[1])
    if location_id:
        queryset = queryset.filter(location_key=location_id.upper())
    linked = ErrorRecord.objects.filter(
        country_code=OuterRef("country_code"), party_id=OuterRef("party_id"), session_id=OuterRef("session_key")
    )
    rows = queryset.annotate(has_error=Exists(linked)).values(
        "country_code", "party_id", "location_key", "document__kwh", "has_error"
    )
    return [
        {
            "cpo": f"{row['country_code']}/{row['party_id']}",
            "location": f"{row['country_code']}/{row['party_id']}/{row['location_key']}",
            "kwh": float(row["document__kwh"] or 0),
            "has_error": row["has_error"],
        }
        for row in rows
    ]


def status_change_rows(
    *, end: datetime, cpo: tuple[str, str] | None = None, location_id: str | None = None
) -> list[dict[str, Any]]:
    """EVSE status history up to ``end`` (everything before it matters: the status at the period start)."""
    from locations.models import EvseStatusChange

    queryset = EvseStatusChange.objects.filter(changed_at__lt=end)
    if cpo is not None:
        queryset = queryset.filter(evse__location__country_code=cpo[0], evse__location__party_id=cpo[1])
    if location_id:
        queryset = queryset.filter(evse__location__location_key=location_id.upper())
    rows = queryset.order_by("changed_at", "pk").values(
        "evse__location__country_code",
        "evse__location__party_id",
        "evse__location__location_key",
        "evse__uid_key",
        "status",
        "changed_at",
    )
    return [
        {
            "evse": "/".join(
                (
                    row["evse__location__country_code"],
                    row["evse__location__party_id"],
                    row["evse__location__location_key"],
                    row["evse__uid_key"],
                )
            ),
            "status": row["status"],
            "changed_at": row["changed_at"],
        }
        for row in rows
    ]
