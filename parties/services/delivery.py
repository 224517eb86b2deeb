"""The delivery engine: outbox rows written with the change, dispatched on commit, retried with backoff,
dead-lettered when hopeless, swept periodically so nothing is lost to a broker or worker crash.

Order per (receiver, object) is kept by letting only one row per object be in flight; a change arriving
while a row is pending merges into it (the payload is rendered at send time, so it carries the newest state).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from ocpi_hub.db import Rows, Statement, execute_together
from parties import client, outbound
from parties.models import ConnectionStatus, Delivery, DeliveryAttempt, DeliveryStatus, InterfaceRole, Platform
from parties.services import dispatch

logger = logging.getLogger(__name__)
PENDING, IN_FLIGHT = DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT


def delivery_enqueue(
    *, receiver: Platform, module: str, object_key: str, target: str = "", correlation_id: str = ""
) -> int:
    """Queue the newest state of an object for one receiver. Call inside the transaction of the change.
    Returns the number of rows queued or merged (1)."""
    statement = enqueue_statement(
        receiver_id=receiver.pk, module=module, object_key=object_key, target=target, correlation_id=correlation_id
    )
    return deliveries_queued(execute_together([statement])[0])


def enqueue_statement(
    *, receiver_id: int, module: str, object_key: str, target: str = "", correlation_id: str = ""
) -> Statement:
    """``delivery_enqueue`` as a statement to run with others (``ocpi_hub.db.execute_together``); pass its rows
    to ``deliveries_queued``."""
    return _queue_statement(_FOR_ONE, [receiver_id], module, object_key, target, correlation_id)


def delivery_broadcast(**object_and_receivers: Any) -> int:
    """Queue an object for every connected platform with one of ``roles`` that implements the receiver
    interface of ``module`` (the same set as ``parties.selectors.receivers_for``), ``exclude`` left out.
    One statement whatever the number of receivers; the arguments are ``broadcast_statement``'s. Returns
    the number of rows queued or merged."""
    return deliveries_queued(execute_together([broadcast_statement(**object_and_receivers)])[0])


def broadcast_statement(
    *,
    module: str,
    object_key: str,
    roles: tuple[str, ...],
    exclude: Platform | None,
    target: str = "",
    correlation_id: str = "",
    condition: str = "",
) -> Statement:
    """``delivery_broadcast`` as a statement to run with others (``ocpi_hub.db.execute_together``); pass its
    rows to ``deliveries_queued``. ``condition``: SQL ("AND ...") added to the receivers' WHERE clause."""
    where = _FOR_BROADCAST.format(roles=", ".join(["%s"] * len(roles))) + f" {condition}"
    params = [ConnectionStatus.CONNECTED, module, InterfaceRole.RECEIVER, *roles, exclude.pk if exclude else 0]
    return _queue_statement(where, params, module, object_key, target, correlation_id)


def deliveries_queued(rows: Rows) -> int:
    """Dispatch the rows an outbox statement returned, once the transaction commits (unless the statement
    NOTIFYed them: ``parties.services.dispatch``); their number."""
    if not dispatch.notify_enabled():
        for row in rows:
            transaction.on_commit(partial(delivery_dispatch, row[0]))
    return len(rows)


# The outbox insert (ingest hot path, bench B/E1). Written as SQL that PostgreSQL and SQLite both run: the
# ORM would need a lookup of the receivers, then an INSERT (in a savepoint) per receiver. A row already
# pending for the same (receiver, module, object) takes the change instead (the partial unique index
# one_pending_delivery_per_object); its target becomes the common parent of the two sub-objects
# (targets are "", "<evse>" or "<evse>/<connector>"; ``parent`` is the new target's parent).
_QUEUE = """
INSERT INTO parties_delivery (receiver_id, module, object_key, target, status, attempts, next_attempt_at,
    queued_at, correlation_id, last_error, created_at, updated_at)
SELECT platform.id, %s, %s, %s, 'pending', 0, %s, %s, %s, '', %s, %s
FROM parties_platform platform
WHERE {where}
ON CONFLICT (receiver_id, module, object_key) WHERE status = 'pending' DO UPDATE SET
    target = CASE
        WHEN parties_delivery.target = excluded.target THEN excluded.target
        WHEN parties_delivery.target = '' OR excluded.target = '' THEN ''
        WHEN substr(parties_delivery.target, 1, length(excluded.target) + 1) = excluded.target || '/'
            THEN excluded.target
        WHEN %s <> '' AND (parties_delivery.target = %s OR substr(parties_delivery.target, 1, length(%s) + 1) = %s)
            THEN %s
        ELSE ''
    END,
    updated_at = excluded.updated_at
RETURNING id{notify}
"""
_FOR_ONE = "platform.id = %s"
_FOR_BROADCAST = """platform.status = %s
    AND EXISTS (SELECT 1 FROM parties_endpoint endpoint WHERE endpoint.platform_id = platform.id
                AND endpoint.identifier = %s AND endpoint.role = %s)
    AND EXISTS (SELECT 1 FROM parties_platformrole party WHERE party.platform_id = platform.id
                AND party.role IN ({roles}))
    AND platform.id <> %s"""


def _queue_statement(
    where: str, where_params: list, module: str, object_key: str, target: str, correlation_id: str
) -> Statement:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    parent = target.rpartition("/")[0]
    params = [module, object_key, target, now, now, correlation_id[:100], now, now, *where_params]
    params += [parent, parent, parent, f"{parent}/", parent]
    return Statement(_QUEUE.format(where=where, notify=dispatch.notify_returning()), params, returning=True)


def delivery_dispatch(delivery_id: int, countdown: float = 0) -> None:
    """Publish the ``deliver`` task of a row (it claims the row, so a second message for it is harmless)."""
    from parties.tasks import deliver

    try:
        deliver.apply_async((delivery_id,), countdown=countdown or None)
    except Exception:  # broker down: the sweeper will pick the row up
        logger.warning("Could not publish delivery %s; the sweeper will retry", delivery_id, exc_info=True)


def delivery_claim(delivery_id: int) -> Delivery | None:
    """Atomically move a due pending row to in_flight, unless its object is already in flight."""
    now = timezone.now()
    busy = Delivery.objects.filter(
        receiver=OuterRef("receiver"),
        module=OuterRef("module"),
        object_key=OuterRef("object_key"),
        status=IN_FLIGHT,
    )
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=PENDING, next_attempt_at__lte=now)
        .exclude(Exists(busy))
        .update(
            status=IN_FLIGHT,
            attempts=F("attempts") + 1,
            lease_until=now + timedelta(seconds=settings.OCPI_HUB_DELIVERY_LEASE),
        )
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("receiver").get(pk=delivery_id)


def delivery_attempt(delivery_id: int) -> str:
    """Claim, render, send and record one delivery. Returns the outcome (for logs and tests)."""
    delivery = delivery_claim(delivery_id)
    if delivery is None:
        return "not-claimed"
    receiver = delivery.receiver
    if receiver.status == ConnectionStatus.SUSPENDED or not receiver.token_out:
        return _finish(delivery, DeliveryStatus.FAILED, error="receiver is suspended or unregistered")
    try:
        request = outbound.render(delivery)
    except outbound.NoEndpoint as exc:
        return _finish(delivery, DeliveryStatus.FAILED, error=str(exc))
    if request is None:
        return _finish(delivery, DeliveryStatus.SUCCEEDED, error="nothing to send")
    return _send(delivery, request)


def _send(delivery: Delivery, request: outbound.Outbound) -> str:
    receiver = delivery.receiver
    started = timezone.now()
    try:
        reply = client.call(
            request.method,
            request.url,
            token=receiver.token_out,
            raw_token=not receiver.token_base64,
            body=request.body,
            correlation_id=delivery.correlation_id,
            routing=request.routing,
        )
    except client.TransportError as exc:
        _record(
            delivery,
            request,
            started,
            outcome="error",
            error=str(exc),
            request_id=exc.request_id,
            duration_ms=exc.duration_ms,
        )
        return _retry_or_die(delivery, error=str(exc))
    outcome = _classify(reply)
    _record(delivery, request, started, outcome=outcome, reply=reply)
    _track_unauthorized(receiver, reply.http_status)
    if outcome == "succeeded":
        return _finish(delivery, DeliveryStatus.SUCCEEDED, reply=reply)
    if outcome == "retry":
        return _retry_or_die(delivery, error=_reply_error(reply), reply=reply)
    return _finish(delivery, DeliveryStatus.FAILED, error=_reply_error(reply), reply=reply)


def _classify(reply: client.Reply) -> str:
    if reply.http_status >= 500 or reply.http_status in (408, 429):
        return "retry"
    if 200 <= reply.http_status < 300:
        if reply.status_code is None:
            return "failed"
        if 1000 <= reply.status_code < 2000:
            return "succeeded"
        return "retry" if 3000 <= reply.status_code < 4000 else "failed"
    return "failed"


def _reply_error(reply: client.Reply) -> str:
    return f"HTTP {reply.http_status}, OCPI {reply.status_code}: {reply.status_message}"[:500]


def _record(
    delivery: Delivery,
    request: outbound.Outbound,
    started,
    *,
    outcome: str,
    reply=None,
    error: str = "",
    request_id: str = "",
    duration_ms: int = 0,
) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery,
        method=request.method,
        url=request.url[:500],
        started_at=started,
        outcome=outcome,
        request_id=reply.request_id if reply else request_id,
        duration_ms=reply.duration_ms if reply else duration_ms,
        http_status=reply.http_status if reply else None,
        ocpi_status=reply.status_code if reply else None,
        error=(error or (_reply_error(reply) if reply and outcome != "succeeded" else ""))[:500],
        response_excerpt=(reply.excerpt if reply else "")[:500],
    )


def _track_unauthorized(receiver: Platform, http_status: int) -> None:
    if http_status == 401:
        Platform.objects.filter(pk=receiver.pk).update(unauthorized_count=F("unauthorized_count") + 1)
        limit = settings.OCPI_HUB_UNAUTHORIZED_FLAG_AFTER
        flagged = Platform.objects.filter(pk=receiver.pk, unauthorized_count__gte=limit).update(
            needs_attention=True, attention_reason=f"answered HTTP 401 to {limit} or more pushes in a row"
        )
        if flagged and not receiver.needs_attention:
            logger.warning(
                "Platform flagged for attention: HTTP 401 in a row",
                extra={"event": "platform.attention", "platform": receiver.pk},
            )
    elif receiver.unauthorized_count:
        Platform.objects.filter(pk=receiver.pk).update(unauthorized_count=0)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter on the upper half: base * 2^(n-1), capped."""
    ceiling = min(
        settings.OCPI_HUB_DELIVERY_BACKOFF_MAX,
        settings.OCPI_HUB_DELIVERY_BACKOFF_BASE * 2 ** max(attempts - 1, 0),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


def _retry_or_die(delivery: Delivery, *, error: str, reply: client.Reply | None = None) -> str:
    age = (timezone.now() - delivery.queued_at).total_seconds()
    if delivery.attempts >= settings.OCPI_HUB_DELIVERY_MAX_ATTEMPTS or age >= settings.OCPI_HUB_DELIVERY_MAX_AGE:
        return _finish(delivery, DeliveryStatus.DEAD, error=error, reply=reply)
    delay = backoff_seconds(delivery.attempts)
    updated = _release(
        delivery, PENDING, error=error, reply=reply, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )
    if updated == "superseded":
        return updated
    if delay < 300:
        transaction.on_commit(lambda: delivery_dispatch(delivery.pk, countdown=delay))
    return "retry"


def _finish(delivery: Delivery, status: str, *, error: str = "", reply: client.Reply | None = None) -> str:
    return _release(delivery, status, error=error, reply=reply, completed_at=timezone.now())


def _release(delivery: Delivery, status: str, *, error: str, reply: client.Reply | None, **fields) -> str:
    """Leave in_flight; wake the next queued row of the same object."""
    values = dict(status=status, lease_until=None, last_error=error[:500], **fields)
    if reply is not None:
        values.update(last_http_status=reply.http_status, last_ocpi_status=reply.status_code)
    with transaction.atomic():
        sibling = _sibling_pending(delivery).first() if status == PENDING else None
        if sibling is not None:  # it takes this row's change too: it must cover this row's target
            widened = common_target(sibling.target, delivery.target)
            if widened != sibling.target:
                Delivery.objects.filter(pk=sibling.pk, status=PENDING).update(target=widened)
            values.update(status=DeliveryStatus.SUPERSEDED, completed_at=timezone.now())
            status = DeliveryStatus.SUPERSEDED
        Delivery.objects.filter(pk=delivery.pk, status=IN_FLIGHT).update(**values)
        for sibling in _sibling_pending(delivery).values_list("pk", flat=True):
            transaction.on_commit(partial(delivery_dispatch, sibling))
    return str(status)


def common_target(first: str, second: str) -> str:
    """The narrowest target covering both ("", "<evse>" or "<evse>/<connector>"): what ``_QUEUE`` keeps when
    two changes of one object merge."""
    common = []
    for mine, theirs in zip(first.split("/"), second.split("/"), strict=False):
        if not first or not second or mine != theirs:
            break
        common.append(mine)
    return "/".join(common)


def _sibling_pending(delivery: Delivery):
    return Delivery.objects.filter(
        receiver_id=delivery.receiver_id,
        module=delivery.module,
        object_key=delivery.object_key,
        status=PENDING,
    ).exclude(pk=delivery.pk)


def _sweep_grace() -> float:
    """How long a due row may wait for its queued message before the sweeper takes the message as lost."""
    grace = getattr(settings, "OCPI_HUB_SWEEP_GRACE", None)
    return float(grace) if grace is not None else max(2 * settings.OCPI_HUB_SWEEP_INTERVAL, 5.0)


def deliveries_sweep(*, limit: int = 500, grace: float | None = None) -> int:
    """Recover expired leases and re-dispatch due rows whose message may have been lost: rows due for longer
    than the grace period (``OCPI_HUB_SWEEP_GRACE`` unless given), and rows just released from an expired
    lease."""
    now = timezone.now()
    released = []
    for delivery in Delivery.objects.filter(status=IN_FLIGHT, lease_until__lt=now):
        _release(delivery, PENDING, error="lease expired (worker lost)", reply=None, next_attempt_at=now)
        released.append(delivery.pk)
    busy = Delivery.objects.filter(
        receiver=OuterRef("receiver"),
        module=OuterRef("module"),
        object_key=OuterRef("object_key"),
        status=IN_FLIGHT,
    )
    grace = _sweep_grace() if grace is None else grace
    overdue = Q(next_attempt_at__lte=now - timedelta(seconds=grace)) | Q(pk__in=released)
    due = (
        Delivery.objects.filter(overdue, status=PENDING)
        .exclude(Exists(busy))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for pk in ids:
        delivery_dispatch(pk)
    return len(ids)


def deliveries_redrive(*, deliveries) -> int:
    """Admin redrive: failed/dead rows go back to pending (merged into a newer pending row if one exists)."""
    count = 0
    now = timezone.now()
    for delivery in deliveries.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD]):
        with transaction.atomic():
            if _sibling_pending(delivery).exists():
                Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SUPERSEDED)
                continue
            Delivery.objects.filter(pk=delivery.pk).update(
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                queued_at=now,
                completed_at=None,
                last_error="",
            )
            transaction.on_commit(partial(delivery_dispatch, delivery.pk))
            count += 1
    return count
