"""The delivery engine's outbox: rows written with the change, redriven by the admin, swept and purged.

A change writes (or merges into) one pending row per receiver and object, in the transaction of the change;
the row is rendered at send time, so it always carries the newest state. The database decides when a row is
due; the broker only carries "drain this receiver now" (``parties.services.dispatch``), and a drain
(``parties.services.drain``) sends a receiver's due rows in order. The sweeper recovers what a lost worker
or message left behind; nothing waits in the broker for a retry.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ocpi_hub.db import Rows, Statement, execute_together
from parties import policy, rows
from parties.models import (
    ConnectionStatus,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EngineLock,
    InterfaceRole,
    Platform,
)
from parties.services import dispatch, drain

logger = logging.getLogger(__name__)
PENDING, IN_FLIGHT = DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT
RECEIVING = (ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE)  # platforms that broadcasts go to


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
    return _queue_statement(rows.ONE_RECEIVER, [receiver_id], module, object_key, target, correlation_id, "")


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
    only_if: str = "",
    owner: policy.Party | None = None,
    owner_side: str = policy.CPO,
    only_missed: bool = False,
) -> Statement:
    """``delivery_broadcast`` as a statement to run with others (``ocpi_hub.db.execute_together``); pass its
    rows to ``deliveries_queued``. ``only_if``: queue nothing unless the statement of that name (same call)
    applied (``ocpi_hub.db.Statement.only_if``). ``owner``: the party owning the object (on ``owner_side`` of
    roaming agreements); under the routing policy ``agreements`` only receivers with an active agreement with
    it are selected, in the same statement (``parties.policy.broadcast_condition``); under ``open`` nothing
    is added. ``only_missed``: only receivers whose last delivery of this object failed or died (a repeat of
    a state everyone else already has: ``rows.MISSED_LAST``)."""
    # OFFLINE receivers keep receiving rows: they are registered, only not answering; their queue waits (and
    # its circuit breaker probes) until they do, so they miss nothing.
    where = rows.broadcast_receivers(len(roles))
    params = [*RECEIVING, module, InterfaceRole.RECEIVER, *roles, exclude.pk if exclude else 0]
    if owner is not None and policy.enforced():
        agreed, agreed_params = policy.broadcast_condition(
            module=module, owner=owner, owner_side=owner_side, receiver_roles=roles
        )
        where, params = f"{where} {agreed}", [*params, *agreed_params]
    if only_missed:
        where, params = f"{where} {rows.MISSED_LAST}", [*params, module, object_key]
    return _queue_statement(where, params, module, object_key, target, correlation_id, only_if)


def deliveries_queued(rows: Rows) -> int:
    """Wake the receivers of the rows an outbox statement returned (``id, receiver_id``), once the
    transaction commits (unless the statement NOTIFYed them: ``parties.services.dispatch``); their number."""
    if rows and not dispatch.notify_enabled():
        transaction.on_commit(partial(dispatch.wake, {row[1] for row in rows}))
    return len(rows)


def _queue_statement(
    where: str, where_params: list[Any], module: str, object_key: str, target: str, correlation_id: str, only_if: str
) -> Statement:
    return rows.queue_statement(
        receivers=where,
        receiver_params=where_params,
        module=module,
        object_key=object_key,
        target=target,
        correlation_id=correlation_id,
        notify=dispatch.notify_returning(),
        only_if=only_if,
    )


def deliveries_sweep(*, limit: int = 1000) -> int:
    """One sweep, never two at once (an expiring lock row): rows whose worker was lost go back to pending,
    drains whose worker was lost are cleared, and every receiver with due rows and no drain asked for or
    running (or only a stale request: a lost message) is woken. Returns the number of receivers woken."""
    if not _take_lock("sweep", seconds=max(settings.OCPI_HUB_SWEEP_INTERVAL * 4, 10.0)):
        return 0
    try:
        now = timezone.now()
        for delivery in Delivery.objects.filter(status=IN_FLIGHT, lease_until__lt=now)[:limit]:
            drain.release_lost(delivery)
        return len(dispatch.wake_due(now=now, limit=limit))
    finally:
        EngineLock.objects.filter(name="sweep").delete()


def _take_lock(name: str, *, seconds: float) -> bool:
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    if EngineLock.objects.filter(name=name, held_until__lt=now).update(held_until=until):
        return True
    try:
        with transaction.atomic():
            EngineLock.objects.create(name=name, held_until=until)
    except IntegrityError:
        return False
    return True


def deliveries_redrive(*, deliveries: QuerySet[Delivery]) -> int:
    """Admin redrive: failed/dead rows go back to pending. A row whose object already has a pending row is
    merged into it instead: that row's target is widened to cover both (the rule of the outbox insert), so
    no sub-object is left behind. Returns the number of rows redriven (merged ones included)."""
    count = 0
    now = timezone.now()
    woken = set()
    for delivery in deliveries.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD]).order_by("pk"):
        with transaction.atomic():
            if drain.merge_into_pending(delivery, completed_at=now):
                count += 1
                woken.add(delivery.receiver_id)
                continue
            Delivery.objects.filter(pk=delivery.pk).update(
                status=PENDING, attempts=0, next_attempt_at=now, queued_at=now, completed_at=None, last_error=""
            )
            count += 1
            woken.add(delivery.receiver_id)
    transaction.on_commit(partial(dispatch.wake, woken))
    logger.info("Redrove %s deliveries", count, extra={"event": "delivery.redriven", "count": count})
    return count


def deliveries_purge(*, older_than_days: float | None = None, batch: int = 5000) -> int:
    """Delete succeeded and superseded rows (with their attempts) completed more than the retention period
    ago (``OCPI_HUB_DELIVERY_RETENTION_DAYS``), in batches. Failed and dead rows stay until redriven or
    purged by an admin. Returns the number of rows deleted."""
    days = settings.OCPI_HUB_DELIVERY_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    done = [DeliveryStatus.SUCCEEDED, DeliveryStatus.SUPERSEDED]
    deleted = 0
    while True:
        ids = list(
            Delivery.objects.filter(status__in=done, completed_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            deleted += Delivery.objects.filter(pk__in=ids).delete()[1].get("parties.Delivery", 0)
