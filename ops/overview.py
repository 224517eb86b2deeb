"""The admin landing overview: what a hub admin must look at first (selectors; the template renders them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from cdrs.models import Cdr
from errors.models import ErrorRecord
from parties.models import DeliveryStatus, Platform
from parties.selectors import DeliverySummary, delivery_summaries, format_duration
from sessions.models import Session

QUALITY_WINDOW = timedelta(days=7)


@dataclass
class PlatformDeliveries:
    platform: Platform
    summary: DeliverySummary

    @property
    def oldest_pending(self) -> str:
        age = self.summary.oldest_pending_age
        return format_duration(age) if age is not None else "-"


@dataclass
class QualityShare:
    """Share of a CPO's Sessions and CDRs of the window that carry at least one quality warning."""

    owner: Platform
    sessions: int
    sessions_warned: int
    cdrs: int
    cdrs_warned: int

    @staticmethod
    def _percent(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f} %" if whole else "-"

    @property
    def sessions_share(self) -> str:
        return self._percent(self.sessions_warned, self.sessions)

    @property
    def cdrs_share(self) -> str:
        return self._percent(self.cdrs_warned, self.cdrs)


@dataclass
class Overview:
    attention: list[Platform]
    deliveries: list[PlatformDeliveries]
    oldest_pending: str
    open_error_records: int
    quality: list[QualityShare]
    quality_since: str


def _deliveries() -> list[PlatformDeliveries]:
    summaries = delivery_summaries()
    busy = {
        pk: summary
        for pk, summary in summaries.items()
        if summary.count(DeliveryStatus.PENDING)
        + summary.count(DeliveryStatus.FAILED)
        + summary.count(DeliveryStatus.DEAD)
    }
    platforms = Platform.objects.in_bulk(list(busy))
    rows = [PlatformDeliveries(platforms[pk], summary) for pk, summary in busy.items() if pk in platforms]
    return sorted(rows, key=lambda row: row.platform.name)


def _counts(model: type[Session] | type[Cdr], since: object) -> dict[int, tuple[int, int]]:
    rows = model.objects.filter(created_at__gte=since).values("owner_id")
    rows = rows.annotate(total=Count("pk"), warned=Count("pk", filter=~Q(warning_codes="")))
    return {row["owner_id"]: (row["total"], row["warned"]) for row in rows.order_by()}


def _quality(since: object) -> list[QualityShare]:
    sessions, cdrs = _counts(Session, since), _counts(Cdr, since)
    owners = Platform.objects.in_bulk(list(sessions.keys() | cdrs.keys()))
    shares = [QualityShare(owner, *sessions.get(pk, (0, 0)), *cdrs.get(pk, (0, 0))) for pk, owner in owners.items()]
    return sorted(shares, key=lambda share: share.owner.name)


def hub_overview() -> Overview:
    since = timezone.now() - QUALITY_WINDOW
    deliveries = _deliveries()
    ages = [row.summary.oldest_pending_age for row in deliveries if row.summary.oldest_pending_age is not None]
    return Overview(
        attention=list(Platform.objects.filter(needs_attention=True).order_by("name")),
        deliveries=deliveries,
        oldest_pending=format_duration(max(ages)) if ages else "-",
        open_error_records=ErrorRecord.objects.filter(cleared_at__isnull=True).count(),
        quality=_quality(since),
        quality_since=f"{since:%Y-%m-%d %H:%M} UTC",
    )
