"""/metrics: HTTP requests counted right across two gunicorn worker processes, and the database-derived
figures following deliveries as they succeed and fail."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from errors.models import ErrorRecord
from ops.tests.servers import GunicornHub
from parties.models import ConnectionStatus, Delivery, DeliveryAttempt, DeliveryStatus, Platform
from sessions.models import Session
from tests.factories import PlatformFactory


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def _queue(receiver: Platform, key: str) -> Delivery:
    now = timezone.now()
    return Delivery.objects.create(
        receiver=receiver,
        module="locations",
        object_key=key,
        next_attempt_at=now,
        queued_at=now - dt.timedelta(minutes=5),
    )


def _attempt(delivery: Delivery, *, outcome: str, duration_ms: int, status: str) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery, request_id="r", method="PUT", url="http://x", started_at=timezone.now(),
        duration_ms=duration_ms, outcome=outcome,
    )  # fmt: skip
    Delivery.objects.filter(pk=delivery.pk).update(status=status, attempts=1, completed_at=timezone.now())


def _counter_files(hub: GunicornHub) -> list[str]:
    return sorted(path.name for path in hub.metrics_dir.glob("counter_*.db"))


def test_requests_are_counted_across_two_gunicorn_workers(transactional_db, tmp_path):
    hub = GunicornHub(tmp_path, workers=2).start()
    try:
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # 8 clients at once on 2 sync workers: both serve some (the readiness probe's /healthz may already
            # have made both counter files, so at least 200 requests are sent whatever the files say)
            while sent < 200 or (len(_counter_files(hub)) < 2 and sent < 2000):
                answers = list(pool.map(lambda _: requests.get(f"{hub.url}/ocpi/versions", timeout=10), range(40)))
                assert {answer.status_code for answer in answers} == {401}
                sent += len(answers)
        assert len(_counter_files(hub)) == 2, "both gunicorn workers served requests"
        labels = {"module": "versions", "interface": "", "method": "GET", "status": "401"}
        for _ in range(3):  # any worker answers the scrape with the sum over both
            assert value(hub.get("/metrics").text, "ocpi_hub_http_requests_total", **labels) == sent
    finally:
        hub.stop()


def test_delivery_figures_follow_deliveries_succeeding_and_failing(transactional_db, tmp_path):
    emsp = PlatformFactory(name="eMSP X")
    hub = GunicornHub(tmp_path, workers=2).start()
    receiver = {"receiver": "eMSP X", "receiver_id": str(emsp.pk)}
    try:
        first, second = _queue(emsp, "NL/CPO/L1"), _queue(emsp, "NL/CPO/L2")
        text = hub.get("/metrics").text
        assert value(text, "ocpi_hub_deliveries", status="pending", module="locations", **receiver) == 2
        assert value(text, "ocpi_hub_outbox_backlog", **receiver) == 2
        assert value(text, "ocpi_hub_outbox_oldest_pending_age_seconds", **receiver) >= 300
        assert value(text, "ocpi_hub_delivery_attempt_duration_seconds_count") == 0

        _attempt(first, outcome="succeeded", duration_ms=120, status=DeliveryStatus.SUCCEEDED)
        text = hub.get("/metrics").text
        assert value(text, "ocpi_hub_deliveries", status="succeeded", module="locations", **receiver) == 1
        assert value(text, "ocpi_hub_deliveries", status="pending", module="locations", **receiver) == 1
        assert value(text, "ocpi_hub_delivery_attempts_total", outcome="succeeded", module="locations", **receiver) == 1
        assert value(text, "ocpi_hub_outbox_backlog", **receiver) == 1

        _attempt(second, outcome="failed", duration_ms=3000, status=DeliveryStatus.FAILED)
        text = hub.get("/metrics").text
        assert value(text, "ocpi_hub_deliveries", status="failed", module="locations", **receiver) == 1
        assert value(text, "ocpi_hub_deliveries", status="pending", module="locations", **receiver) is None
        assert value(text, "ocpi_hub_delivery_attempts_total", outcome="failed", module="locations", **receiver) == 1
        assert value(text, "ocpi_hub_outbox_backlog", **receiver) is None
        assert value(text, "ocpi_hub_delivery_attempt_duration_seconds_count") == 2
        assert value(text, "ocpi_hub_delivery_attempt_duration_seconds_bucket", le="0.25") == 1
        assert value(text, "ocpi_hub_delivery_attempt_duration_seconds_bucket", le="5.0") == 2
        assert value(text, "ocpi_hub_delivery_attempt_duration_seconds_sum") == pytest.approx(3.12)
    finally:
        hub.stop()


@pytest.mark.django_db
def test_platforms_quality_warnings_and_open_error_records(client):
    cpo = PlatformFactory(name="CPO")
    PlatformFactory(name="Gone", status=ConnectionStatus.OFFLINE)
    now = timezone.now()
    common = {"owner": cpo, "country_code": "NL", "party_id": "CPO", "last_updated": now, "document": {}}
    for number, codes in enumerate(["|ENERGY_MISMATCH|", "|ENERGY_MISMATCH|COST_MISMATCH|", ""]):
        Session.objects.create(
            **common, session_id=f"S{number}", session_key=f"S{number}", receiver=cpo,
            receiver_country_code="NL", receiver_party_id="EMS",
            status="ACTIVE", start_date_time=now, token_uid_key="T", location_key="L", evse_uid_key="E",
            warning_codes=codes,
        )  # fmt: skip
    for number, cleared in enumerate([None, None, now]):
        ErrorRecord.objects.create(
            **common, record_id=f"E{number}", record_key=f"E{number}", location_id="L", evse_uid="E",
            scheme="MREC", code="CX001",
            source="EVSE", severity=2, occurred_at=now - dt.timedelta(hours=1), cleared_at=cleared,
        )  # fmt: skip
    text = client.get("/metrics").content.decode()
    assert value(text, "ocpi_hub_platforms", status="CONNECTED") == 1
    assert value(text, "ocpi_hub_platforms", status="OFFLINE") == 1
    assert value(text, "ocpi_hub_quality_warnings", object="session", code="ENERGY_MISMATCH") == 2
    assert value(text, "ocpi_hub_quality_warnings", object="session", code="COST_MISMATCH") == 1
    assert value(text, "ocpi_hub_error_records_open", scheme="MREC", code="CX001") == 2
