"""Rows for the admin tests: platforms, deliveries in each state, Sessions/CDRs with and without warnings."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cdrs.models import Cdr
from errors.models import ErrorRecord
from parties.models import Delivery, DeliveryAttempt, DeliveryStatus, Platform
from sessions.models import Session
from tests.factories import PlatformFactory


def platform(name: str, **fields: object) -> Platform:
    return PlatformFactory(name=name, token_out="", version="", **fields)


def delivery(
    receiver: Platform, key: str, status: str, *, queued_ago: dt.timedelta = dt.timedelta(minutes=1)
) -> Delivery:
    now = timezone.now()
    row = Delivery.objects.create(
        receiver=receiver, module="locations", object_key=key, status=status, attempts=1,
        next_attempt_at=now + dt.timedelta(minutes=10), queued_at=now - queued_ago,
        last_error="" if status == DeliveryStatus.PENDING else "HTTP 400",
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        delivery=row, request_id="r", method="PUT", url="http://emsp.example/locations", started_at=now,
        duration_ms=150, outcome="succeeded" if status == DeliveryStatus.SUCCEEDED else "failed",
    )  # fmt: skip
    return row


def session(owner: Platform, receiver: Platform, number: int, codes: str = "") -> Session:
    now = timezone.now()
    return Session.objects.create(
        owner=owner, country_code="NL", party_id="CPO", session_id=f"S{number}", session_key=f"S{number}",
        receiver=receiver, receiver_country_code="NL", receiver_party_id="EMS", status="COMPLETED",
        start_date_time=now, token_uid_key="T", location_key="L", evse_uid_key="E", last_updated=now,
        document={}, warning_codes=codes,
    )  # fmt: skip


def cdr(owner: Platform, receiver: Platform, number: int, codes: str = "") -> Cdr:
    now = timezone.now()
    return Cdr.objects.create(
        owner=owner, country_code="NL", party_id="CPO", cdr_id=f"C{number}", cdr_key=f"C{number}",
        receiver=receiver, receiver_country_code="NL", receiver_party_id="EMS", start_date_time=now,
        end_date_time=now, total_energy=1.0, currency="EUR", last_updated=now, document={}, warning_codes=codes,
    )  # fmt: skip


def error_record(owner: Platform, number: int, *, open_: bool = True) -> ErrorRecord:
    now = timezone.now()
    return ErrorRecord.objects.create(
        owner=owner, country_code="NL", party_id="CPO", record_id=f"E{number}", record_key=f"E{number}",
        location_id="L", evse_uid="E", scheme="MREC", code="CX001", source="EVSE", severity=2,
        occurred_at=now - dt.timedelta(hours=1), cleared_at=None if open_ else now, last_updated=now, document={},
    )  # fmt: skip
