"""Prometheus metrics of /metrics.

Two sources, so that every figure is right however many gunicorn and Celery processes run:
- HTTP requests are counted in the web process that served them, with prometheus-client's multiprocess
  mode (one file per process under ``PROMETHEUS_MULTIPROC_DIR``, summed at scrape time);
- everything about deliveries, platforms, data quality and error records is read from the database at
  scrape time (the database is the one place every process writes to).
"""

from __future__ import annotations

import os
import re
from collections import Counter as Tally
from collections.abc import Iterator

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "ocpi_hub_http_requests",
    "HTTP requests served, by OCPI module, interface (sender/receiver), method and status.",
    ["module", "interface", "method", "status"],
)
# Upper bounds (seconds) of the delivery attempt latency histogram.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_OCPI_PATH = re.compile(r"^/ocpi/(?P<version>[^/]+)(?:/(?P<first>[^/]+))?(?:/(?P<second>[^/]+))?")
_MODULE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def request_labels(path: str) -> tuple[str, str]:
    """(module, interface) of a request path; "" where the path has none (admin, docs, /healthz)."""
    match = _OCPI_PATH.match(path)
    if not match:
        return "", ""
    if match["version"] == "versions":
        return "versions", ""
    first, second = match["first"] or "", match["second"] or ""
    if first in ("sender", "receiver"):
        return (second if _MODULE_NAME.match(second) else "unknown"), first
    if not first:
        return "versions", ""  # version details
    return (first if _MODULE_NAME.match(first) else "unknown"), ""


def count_request(*, path: str, method: str, status: int) -> None:
    module, interface = request_labels(path)
    HTTP_REQUESTS.labels(module=module, interface=interface, method=method, status=str(status)).inc()


class DatabaseCollector(Collector):
    """Gauges (and attempt counters) derived from the hub's tables at scrape time."""

    def collect(self) -> Iterator[Metric]:
        yield from _delivery_metrics()
        yield _attempt_latency()
        yield from _backlog_metrics()
        yield _platform_metric()
        yield _paused_metric()
        yield _quality_metric()
        yield _error_record_metric()


def _receiver_names() -> dict[int, str]:
    from parties.models import Platform

    return dict(Platform.objects.values_list("pk", "name"))


def _delivery_metrics() -> Iterator[Metric]:
    from parties.models import Delivery, DeliveryAttempt

    names = _receiver_names()
    rows = GaugeMetricFamily(
        "ocpi_hub_deliveries",
        "Outbox deliveries by status (pending, in_flight, succeeded, failed, dead, superseded), module, receiver.",
        labels=["status", "module", "receiver", "receiver_id"],
    )
    for row in Delivery.objects.values("status", "module", "receiver_id").annotate(n=Count("pk")).order_by():
        receiver = row["receiver_id"]
        rows.add_metric([row["status"], row["module"], names.get(receiver, ""), str(receiver)], row["n"])
    yield rows
    attempts = CounterMetricFamily(
        "ocpi_hub_delivery_attempts",
        "Delivery attempts made, by outcome, module and receiver.",
        labels=["outcome", "module", "receiver", "receiver_id"],
    )
    grouped = DeliveryAttempt.objects.values("outcome", "delivery__module", "delivery__receiver_id")
    for attempt in grouped.annotate(n=Count("pk")).order_by():
        receiver = attempt["delivery__receiver_id"]
        labels = [attempt["outcome"], attempt["delivery__module"], names.get(receiver, ""), str(receiver)]
        attempts.add_metric(labels, attempt["n"])
    yield attempts


def _attempt_latency() -> Metric:
    from parties.models import DeliveryAttempt

    buckets = {f"le{i}": Count("pk", filter=Q(duration_ms__lte=b * 1000)) for i, b in enumerate(LATENCY_BUCKETS)}
    figures = DeliveryAttempt.objects.aggregate(total=Count("pk"), sum_ms=Sum("duration_ms"), **buckets)
    histogram = HistogramMetricFamily(
        "ocpi_hub_delivery_attempt_duration_seconds", "Duration of delivery attempts (from the attempt log)."
    )
    cumulative = [(str(b), figures[f"le{i}"]) for i, b in enumerate(LATENCY_BUCKETS)]
    histogram.add_metric([], [*cumulative, ("+Inf", figures["total"])], sum_value=(figures["sum_ms"] or 0) / 1000)
    return histogram


def _backlog_metrics() -> Iterator[Metric]:
    from parties.models import Delivery, DeliveryStatus

    names = _receiver_names()
    backlog = GaugeMetricFamily(
        "ocpi_hub_outbox_backlog",
        "Deliveries still to send (pending or in flight) per receiver.",
        labels=["receiver", "receiver_id"],
    )
    oldest = GaugeMetricFamily(
        "ocpi_hub_outbox_oldest_pending_age_seconds",
        "Age of the oldest pending delivery per receiver.",
        labels=["receiver", "receiver_id"],
    )
    now = timezone.now()
    open_rows = Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT])
    per_receiver = open_rows.values("receiver_id").annotate(
        n=Count("pk"), oldest=Min("queued_at", filter=Q(status=DeliveryStatus.PENDING))
    )
    for row in per_receiver.order_by():
        labels = [names.get(row["receiver_id"], ""), str(row["receiver_id"])]
        backlog.add_metric(labels, row["n"])
        if row["oldest"] is not None:
            oldest.add_metric(labels, max((now - row["oldest"]).total_seconds(), 0.0))
    yield backlog
    yield oldest


def _platform_metric() -> Metric:
    from parties.models import Platform

    gauge = GaugeMetricFamily("ocpi_hub_platforms", "Platforms by connection status.", labels=["status"])
    for row in Platform.objects.values("status").annotate(n=Count("pk")).order_by():
        gauge.add_metric([row["status"]], row["n"])
    return gauge


def _paused_metric() -> Metric:
    """Receivers whose circuit breaker has paused their queue (parties.services.drain), and since when."""
    from parties.models import ReceiverQueue

    gauge = GaugeMetricFamily(
        "ocpi_hub_receiver_paused_seconds", "Seconds since a receiver's queue paused.", labels=["receiver"]
    )
    names = _receiver_names()
    now = timezone.now()
    for pk, since in ReceiverQueue.objects.filter(paused_since__isnull=False).values_list("pk", "paused_since"):
        if since is not None:
            gauge.add_metric([names.get(pk, str(pk))], (now - since).total_seconds())
    return gauge


def _quality_metric() -> Metric:
    from cdrs.models import Cdr
    from sessions.models import Session

    gauge = GaugeMetricFamily(
        "ocpi_hub_quality_warnings",
        "Stored Sessions and CDRs carrying each data-quality warning code.",
        labels=["object", "code"],
    )
    for name, model in (("session", Session), ("cdr", Cdr)):
        tally: Tally[str] = Tally()
        for codes in model.objects.exclude(warning_codes="").values_list("warning_codes", flat=True).iterator():
            tally.update(code for code in codes.split("|") if code)
        for code, n in sorted(tally.items()):
            gauge.add_metric([name, code], n)
    return gauge


def _error_record_metric() -> Metric:
    from errors.models import ErrorRecord

    gauge = GaugeMetricFamily(
        "ocpi_hub_error_records_open",
        "Error records not cleared, by scheme and code (MREC CX001..CX026).",
        labels=["scheme", "code"],
    )
    open_records = ErrorRecord.objects.filter(cleared_at__isnull=True).values("scheme", "code")
    for row in open_records.annotate(n=Count("pk")).order_by():
        gauge.add_metric([row["scheme"], row["code"]], row["n"])
    return gauge


def metrics_text() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(HTTP_REQUESTS)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
