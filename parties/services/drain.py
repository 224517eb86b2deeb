"""Draining one receiver's queue: claim its due rows in batches, render, send over a kept-alive
connection, record the batch, and keep the receiver's circuit breaker.

One drain per receiver at a time (the ``ReceiverQueue.drain_until`` lease), so a receiver's rows go out in
order and one slow receiver holds one worker thread, not all of them. The leases of the rows and drains a
worker holds are renewed by its heartbeat thread (``Heartbeat``): a worker that dies stops renewing, and its
rows are retried as soon as the short lease runs out, not after a long fixed timeout.

Circuit breaker: after ``OCPI_HUB_BREAKER_THRESHOLD`` failed attempts in a row (no answer, 5xx, 408, 429,
3xxx) the queue pauses. While paused only one row is sent per probe, at growing intervals; no other row of
that receiver is attempted. A probe that succeeds resumes the queue and makes every pending row due at once.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from parties import client, outbound, rows, selectors
from parties.lock_objects import pending_sibling_lock
from parties.models import ConnectionStatus, Delivery, DeliveryAttempt, DeliveryStatus, Platform, ReceiverQueue
from parties.rows import common_target
from parties.services import dispatch

logger = logging.getLogger(__name__)
PENDING, IN_FLIGHT = DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT
TERMINAL = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.DEAD)


# --- Leases this process holds, renewed by its heartbeat -----------------------------------------------


class _Held:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: set[int] = set()
        self.receivers: set[int] = set()

    def snapshot(self) -> tuple[list[int], list[int]]:
        with self.lock:
            return sorted(self.rows), sorted(self.receivers)


held = _Held()


def _lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.OCPI_HUB_DELIVERY_LEASE)


def leases_renew() -> None:
    """Push back the lease of every row and drain this process holds."""
    row_ids, receiver_ids = held.snapshot()
    rows.leases_renew(row_ids, receiver_ids, until=_lease_until())


class Heartbeat(threading.Thread):
    """Renews this worker's leases every fifth of the lease (a busy machine may delay a beat or two)."""

    def __init__(self) -> None:
        super().__init__(name="ocpi-delivery-heartbeat", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = max(settings.OCPI_HUB_DELIVERY_LEASE / 5, 0.2)
        while not self.stopping.wait(interval):
            try:
                leases_renew()
            except Exception:  # database restart: the next beat tries again
                logger.warning("Delivery heartbeat could not renew leases", exc_info=True)
                close_old_connections()
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


# --- One drain ---------------------------------------------------------------------------------------


def receiver_drain(receiver_id: int) -> int:
    """Send a receiver's due rows until none is left, the breaker opens, or the drain's time budget is
    spent (then it asks for another drain, behind the other receivers' messages). Returns rows attempted."""
    unauthorized = _drain_start(receiver_id)
    if unauthorized is None:
        return 0
    attempted = 0
    deadline = time.monotonic() + settings.OCPI_HUB_DRAIN_BUDGET
    try:
        while time.monotonic() < deadline:
            batch, limit = _next_batch(receiver_id, unauthorized)
            if not batch:
                break
            attempted += len(_deliver(batch))
            unauthorized = batch[0].receiver.unauthorized_count  # as this drain's answers left it
            if len(batch) < limit:
                break  # nothing more was due; rows that came since are found by the drain's end
    finally:
        _drain_end(receiver_id)
    return attempted


def _drain_start(receiver_id: int) -> int | None:
    """Take the receiver's drain lease: its platform's ``unauthorized_count``, or None when another drain
    runs (that one looks for due rows again before it stops)."""
    started = rows.drain_start([receiver_id], now=timezone.now(), lease_until=_lease_until())
    if receiver_id not in started:
        return None
    with held.lock:
        held.receivers.add(receiver_id)
    return started[receiver_id][2]


def _drain_end(receiver_id: int) -> None:
    with held.lock:
        held.receivers.discard(receiver_id)
    ReceiverQueue.objects.filter(pk=receiver_id).update(wake_at=None, drain_until=None)
    # A row that arrived after the last claim saw this drain's request stamped and published nothing.
    if _has_due(receiver_id):
        dispatch.wake([receiver_id])


def _has_due(receiver_id: int) -> bool:
    return Delivery.objects.filter(
        receiver_id=receiver_id, status=PENDING, next_attempt_at__lte=timezone.now()
    ).exists()


def _next_batch(receiver_id: int, unauthorized: int) -> tuple[list[Delivery], int]:
    """The next rows to send (one, as a probe, while paused) and how many were asked for."""
    queue = ReceiverQueue.objects.get(pk=receiver_id)
    now = timezone.now()
    if queue.paused_since is not None and queue.next_probe_at is not None and queue.next_probe_at > now:
        return [], 0  # paused: the sweeper wakes the queue when its probe is due
    limit = 1 if queue.paused_since is not None else settings.OCPI_HUB_DRAIN_BATCH
    ids, found = rows.claim_due_rows(receiver_id, now=now, lease_until=_lease_until(), limit=limit)
    if not ids:
        return [], limit
    with held.lock:
        held.rows.update(ids)
    batch = _claimed(ids, found)
    # One receiver for the batch, with its endpoints and roles (the renderers ask for them per row).
    receiver = selectors.receivers_by_id([receiver_id])[receiver_id]
    receiver.unauthorized_count = unauthorized
    for delivery in batch:
        delivery.receiver = receiver
    return batch, limit


# --- Several receivers in one drain ---------------------------------------------------------------------


def receivers_drain(receiver_ids: list[int]) -> int:
    """Drain receivers woken together in one task: take their leases, claim and read their due rows, and
    read the receivers, in one statement each for all; send each receiver's rows in turn, rendering what
    they share once; record every outcome in one transaction. A receiver whose breaker counts failures, is
    paused, or answers slowly is handed to a drain of its own, so that it cannot hold up the others; so is
    one that fails during this drain (its unsent rows go back), and one with more rows due than a shared
    drain takes of each (``OCPI_HUB_DRAIN_GROUP_BATCH``). Returns rows attempted."""
    ids = sorted(set(receiver_ids))
    if len(ids) == 1:
        return receiver_drain(ids[0])
    started = rows.drain_start(ids, now=timezone.now(), lease_until=_lease_until())
    with held.lock:
        held.receivers.update(started)
    together = [rid for rid, (failures, paused, _) in started.items() if not failures and not paused and not _slow(rid)]
    _hand_off(sorted(set(started) - set(together)))
    busy: set[int] = set()
    unauthorized = {rid: count for rid, (_, _, count) in started.items()}
    try:
        return _drain_together(together, busy, unauthorized) if together else 0
    finally:
        _drains_end(together, busy)


def _hand_off(receiver_ids: list[int]) -> None:
    """Give these receivers' leases back and ask a drain of its own for each (its request stays stamped)."""
    if not receiver_ids:
        return
    rows.drain_release(receiver_ids)
    with held.lock:
        held.receivers.difference_update(receiver_ids)
    for receiver_id in receiver_ids:
        dispatch.publish([receiver_id])


def _drains_end(receiver_ids: list[int], busy: set[int]) -> None:
    """Give the leases back and wake those with rows due again. One with a backlog that fills a batch of
    its own (``OCPI_HUB_DRAIN_BATCH``) is woken alone: it drains in large batches, in parallel with the
    others. The other ``busy`` ones (each had a full share here) are woken in groups whose shares together
    make one such batch, so that a drain still sends as many rows in turn as a receiver's own drain would,
    while the reads, renders and records are shared: past capacity every receiver has a few rows due, and
    waking each alone (as before) made every drain one receiver's (bench F at 1,500/s offered, 20 eMSPs:
    18 rows per drain instead of 60, 1.15 ms of worker CPU per delivery instead of 0.46)."""
    with held.lock:
        held.receivers.difference_update(receiver_ids)
    batch = settings.OCPI_HUB_DRAIN_BATCH
    due = rows.drain_end(receiver_ids, now=timezone.now(), count_up_to=batch)
    if not due:
        return
    alone = {receiver_id for receiver_id, count in due.items() if count >= batch}
    backlogs = sorted(receiver_id for receiver_id in due if receiver_id in busy and receiver_id not in alone)
    rest = sorted(set(due) - alone - set(backlogs))
    dispatch.wake([*rest, *alone], alone=alone)
    size = max(batch // max(settings.OCPI_HUB_DRAIN_GROUP_BATCH, 1), 1)
    for start in range(0, len(backlogs), size):
        dispatch.wake(backlogs[start : start + size])


def _drain_together(receiver_ids: list[int], busy: set[int], unauthorized: dict[int, int]) -> int:
    limit = settings.OCPI_HUB_DRAIN_GROUP_BATCH
    claimed, found = rows.claim_due_many(receiver_ids, now=timezone.now(), lease_until=_lease_until(), limit=limit)
    if not claimed:
        return 0
    with held.lock:
        held.rows.update(claimed)
    try:
        batches = _batches_by_receiver(claimed, found, unauthorized)
        busy.update(batch[0].receiver_id for batch in batches if len(batch) >= limit)
        results: list[Result] = []
        deadline = time.monotonic() + settings.OCPI_HUB_DRAIN_BUDGET
        with outbound.shared_renders():
            for batch in batches:
                if time.monotonic() >= deadline:
                    _unclaim(batch)  # due again: the drain's end wakes its receiver
                    continue
                results += _send_in_turn(batch)
        _record(results)
        _breakers_after(results)
    finally:
        with held.lock:
            held.rows.difference_update(claimed)
    return len(results)


def _batches_by_receiver(
    claimed: list[int], found: list[tuple[Any, ...]] | None, unauthorized: dict[int, int]
) -> list[list[Delivery]]:
    """The claimed rows by receiver, each receiver's in order, with their receiver (from this process's
    receiver cache) set on them."""
    deliveries = _claimed(claimed, found)
    receivers = selectors.receivers_by_id([d.receiver_id for d in deliveries])
    for receiver_id, receiver in receivers.items():
        receiver.unauthorized_count = unauthorized.get(receiver_id, receiver.unauthorized_count)
    batches: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        delivery.receiver = receivers[delivery.receiver_id]
        batches.setdefault(delivery.receiver_id, []).append(delivery)
    return list(batches.values())


def _claimed(ids: list[int], found: list[tuple[Any, ...]] | None) -> list[Delivery]:
    """The claimed rows as models (from what the claim returned, or read when it did not), by receiver and in
    the order they are due."""
    if found is None:
        deliveries = list(Delivery.objects.filter(pk__in=ids))
    else:  # fields the claim did not return are deferred (read if a renderer asks for one)
        deliveries = [Delivery.from_db(connection.alias, rows.CLAIMED_FIELDS, row) for row in found]
    deliveries.sort(key=lambda d: (d.receiver_id, d.next_attempt_at, d.pk))
    return deliveries


def _send_in_turn(batch: list[Delivery]) -> list[Result]:
    """One receiver's rows in order, stopping at its first failure (the rest go back untouched)."""
    results: list[Result] = []
    for index, delivery in enumerate(batch):
        result = _attempt(delivery)
        results.append(result)
        if result.breaker == "failure":
            _unclaim(batch[index + 1 :])
            break
    return results


def _breakers_after(results: list[Result]) -> None:
    """Every receiver of a shared drain started with a closed breaker and no failure: only those that
    failed now have a breaker to update."""
    failed: dict[int, list[Result]] = {}
    for result in results:
        failed.setdefault(result.delivery.receiver_id, []).append(result)
    for receiver_id, own in failed.items():
        if any(result.breaker == "failure" for result in own):
            _breaker_update(ReceiverQueue.objects.get(pk=receiver_id), own)


# How long each receiver took to answer lately (this process's view): slow ones drain alone.
_answer_ms: dict[int, float] = {}


def _note_answer_time(receiver_id: int, duration_ms: float) -> None:
    previous = _answer_ms.get(receiver_id, duration_ms)
    _answer_ms[receiver_id] = 0.7 * previous + 0.3 * duration_ms


def _slow(receiver_id: int) -> bool:
    return _answer_ms.get(receiver_id, 0.0) > settings.OCPI_HUB_DRAIN_GROUP_SLOW_MS


# --- One batch: send, then record ---------------------------------------------------------------------


@dataclass
class Result:
    """What became of one claimed row."""

    delivery: Delivery
    status: str  # a DeliveryStatus, or "retry" until recorded
    error: str = ""
    reply: client.Reply | None = None
    attempt: tuple[Any, ...] | None = None  # the attempt row: the values of rows.ATTEMPT_FIELDS
    breaker: str = ""  # "failure" (counts towards pausing), "success" (resets it), "" (neither)
    retry_after: float = 0.0


def _deliver(batch: list[Delivery]) -> list[Result]:
    """Send the batch in order; stop sending when the breaker opens (the rest go back untouched)."""
    receiver = batch[0].receiver
    queue = ReceiverQueue.objects.get(pk=receiver.pk)
    failures = queue.failures
    results: list[Result] = []
    try:
        for index, delivery in enumerate(batch):
            if failures >= settings.OCPI_HUB_BREAKER_THRESHOLD and index:
                _unclaim(batch[index:])
                break
            result = _attempt(delivery)
            results.append(result)
            failures = 0 if result.breaker == "success" else failures + (result.breaker == "failure")
        _record(results)
        _breaker_update(queue, results)
    finally:
        with held.lock:
            held.rows.difference_update(delivery.pk for delivery in batch)
    return results


def _unclaim(deliveries: list[Delivery]) -> None:
    ids = [delivery.pk for delivery in deliveries]
    Delivery.objects.filter(pk__in=ids, status=IN_FLIGHT).update(
        status=PENDING, attempts=F("attempts") - 1, lease_until=None
    )


def _attempt(delivery: Delivery) -> Result:
    receiver = delivery.receiver
    if receiver.status == ConnectionStatus.SUSPENDED or not receiver.token_out:
        return Result(delivery, DeliveryStatus.FAILED, error="receiver is suspended or unregistered")
    try:
        request = outbound.render(delivery)
    except outbound.NoEndpoint as exc:
        return Result(delivery, DeliveryStatus.FAILED, error=str(exc))
    if request is None:
        return Result(delivery, DeliveryStatus.SUCCEEDED, error="nothing to send")
    return _send(delivery, request)


def _send(delivery: Delivery, request: outbound.Outbound) -> Result:
    receiver = delivery.receiver
    started = timezone.now()
    try:
        reply = client.call(
            request.method,
            request.url,
            token=receiver.token_out,
            raw_token=not receiver.token_base64,
            body=_payload(request.body),
            correlation_id=delivery.correlation_id,
            routing=request.routing,
        )
    except client.TransportError as exc:
        _note_answer_time(receiver.pk, exc.duration_ms)
        attempt = _attempt_row(delivery, request, started, outcome="error", error=str(exc), failure=exc)
        return Result(delivery, "retry", error=str(exc), attempt=attempt, breaker="failure")
    _note_answer_time(receiver.pk, reply.duration_ms)
    outcome = _classify(reply)
    attempt = _attempt_row(delivery, request, started, outcome=outcome, reply=reply)
    _track_unauthorized(receiver, reply.http_status)
    if outcome == "succeeded":
        return Result(delivery, DeliveryStatus.SUCCEEDED, reply=reply, attempt=attempt, breaker="success")
    if outcome == "retry":
        wait = retry_after_seconds(reply)
        return Result(delivery, "retry", _reply_error(reply), reply, attempt, breaker="failure", retry_after=wait)
    return Result(delivery, DeliveryStatus.FAILED, _reply_error(reply), reply, attempt, breaker="success")


def _payload(body: Any) -> Any:
    """The body encoded once per drain however many receivers get the same rendering (the shared entry
    keeps the body alive, so its id cannot be reused while the drain runs)."""
    if body is None or isinstance(body, bytes):
        return body
    return outbound.shared(("json", id(body)), lambda: (body, client.encode_json(body)))[1]


def _classify(reply: client.Reply) -> str:
    # A 3xx is never followed (the receiver must be called at the URL it advertised): retried, not final.
    if reply.http_status >= 500 or reply.http_status in (408, 429) or 300 <= reply.http_status < 400:
        return "retry"
    if 200 <= reply.http_status < 300:
        if reply.status_code is None:
            return "failed"
        if 1000 <= reply.status_code < 2000:
            return "succeeded"
        return "retry" if 3000 <= reply.status_code < 4000 else "failed"
    return "failed"


def retry_after_seconds(reply: client.Reply) -> float:
    """The wait a 429 or 503 answer asks for in ``Retry-After`` (seconds or an HTTP date); 0 if none."""
    if reply.http_status not in (429, 503):
        return 0.0
    value = next((v for k, v in reply.headers.items() if k.lower() == "retry-after"), "").strip()
    if not value:
        return 0.0
    if value.isdigit():
        return min(float(value), 86400.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        return 0.0
    return min(max((when - timezone.now()).total_seconds(), 0.0), 86400.0)


def _reply_error(reply: client.Reply) -> str:
    if 300 <= reply.http_status < 400:
        target = next((value for name, value in reply.headers.items() if name.lower() == "location"), "?")
        return f"HTTP {reply.http_status}: redirect to {target} not followed"[:500]
    return f"HTTP {reply.http_status}, OCPI {reply.status_code}: {reply.status_message}"[:500]


def _attempt_row(
    delivery: Delivery,
    request: outbound.Outbound,
    started: datetime,
    *,
    outcome: str,
    reply: client.Reply | None = None,
    error: str = "",
    failure: client.TransportError | None = None,
) -> tuple[Any, ...]:
    """The attempt's ``DeliveryAttempt`` row as the values of ``rows.ATTEMPT_FIELDS`` (a model instance per
    attempt was ~10 us of the drain's CPU per delivery; SQLite builds them at the record)."""
    return (
        delivery.pk,
        reply.request_id if reply else (failure.request_id if failure else ""),
        request.method,
        request.url[:500],
        started,
        reply.duration_ms if reply else (failure.duration_ms if failure else 0),
        reply.http_status if reply else None,
        reply.status_code if reply else None,
        outcome,
        _text((error or (_reply_error(reply) if reply and outcome != "succeeded" else ""))[:500]),
        _text((reply.excerpt if reply else "")[:500]),
    )


def _text(value: str) -> str:
    """What a receiver sent, as a PostgreSQL text value can hold it (no NUL characters)."""
    return value.replace("\x00", "") if "\x00" in value else value


def _track_unauthorized(receiver: Platform, http_status: int) -> None:
    if http_status in (401, 403):  # several implementations answer 403 to a token they do not know
        Platform.objects.filter(pk=receiver.pk).update(unauthorized_count=F("unauthorized_count") + 1)
        receiver.unauthorized_count += 1  # so that the next answer of this drain resets it
        limit = settings.OCPI_HUB_UNAUTHORIZED_FLAG_AFTER
        flagged = Platform.objects.filter(pk=receiver.pk, unauthorized_count__gte=limit).update(
            needs_attention=True, attention_reason=f"answered HTTP 401/403 to {limit} or more pushes in a row"
        )
        if flagged and not receiver.needs_attention:
            receiver.needs_attention = True
            logger.warning(
                "Platform flagged for attention: HTTP 401/403 in a row",
                extra={"event": "platform.attention", "platform": receiver.pk},
            )
    elif receiver.unauthorized_count:
        Platform.objects.filter(pk=receiver.pk).update(unauthorized_count=0)
        receiver.unauthorized_count = 0


def _record(results: list[Result]) -> None:
    """The batch's attempts and outcomes: on PostgreSQL one statement for the attempts and the rows that
    ended (``rows.record_many``), elsewhere one INSERT and one UPDATE per group of rows that end alike;
    retried rows one by one (each may merge into a newer row of its object)."""
    now = timezone.now()
    with transaction.atomic():
        ended: list[Result] = []
        for result in results:
            if result.status == "retry":
                result.status = _retry_or_die(result, now)
            if result.status not in (PENDING, DeliveryStatus.SUPERSEDED):  # those written by _retry_or_die
                ended.append(result)
        if connection.vendor == "postgresql":
            rows.record_many(
                [r.attempt for r in results if r.attempt is not None],
                [_ended_values(r) for r in ended],
                completed_at=now,
            )
            return
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(**dict(zip(rows.ATTEMPT_FIELDS, r.attempt, strict=True))) for r in results if r.attempt]
        )
        groups: dict[tuple[Any, ...], list[int]] = {}
        for result in ended:
            values = _end_values(result, completed_at=now)
            groups.setdefault(tuple(sorted(values.items())), []).append(result.delivery.pk)
        for key, ids in groups.items():
            Delivery.objects.filter(pk__in=ids, status=IN_FLIGHT).update(**dict(key))


def _ended_values(result: Result) -> tuple[Any, ...]:
    reply = result.reply
    return (
        result.delivery.pk,
        str(result.status),
        _text(result.error[:500]),
        reply is not None,
        reply.http_status if reply else None,
        reply.status_code if reply else None,
    )


def _end_values(result: Result, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(status=result.status, lease_until=None, last_error=result.error[:500], **extra)
    if result.reply is not None:
        values.update(last_http_status=result.reply.http_status, last_ocpi_status=result.reply.status_code)
    return values


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter on the upper half: base * 2^(n-1), capped."""
    ceiling = min(
        settings.OCPI_HUB_DELIVERY_BACKOFF_MAX,
        settings.OCPI_HUB_DELIVERY_BACKOFF_BASE * 2 ** max(attempts - 1, 0),
    )
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not crypto


def _retry_or_die(result: Result, now: datetime) -> str:
    """A retryable failure: dead when out of attempts or too old, else pending again at its backoff (or
    the receiver's Retry-After, whichever is later), or merged into a newer pending row of its object."""
    delivery = result.delivery
    age = (now - delivery.queued_at).total_seconds()
    if delivery.attempts >= settings.OCPI_HUB_DELIVERY_MAX_ATTEMPTS or age >= settings.OCPI_HUB_DELIVERY_MAX_AGE:
        return DeliveryStatus.DEAD
    if merge_into_pending(delivery, completed_at=now, error=result.error):
        return DeliveryStatus.SUPERSEDED  # written by the merge
    delay = max(backoff_seconds(delivery.attempts), result.retry_after)
    values = _end_values(result, next_attempt_at=now + timedelta(seconds=delay))
    values["status"] = PENDING
    Delivery.objects.filter(pk=delivery.pk, status=IN_FLIGHT).update(**values)
    return PENDING


def merge_into_pending(delivery: Delivery, *, completed_at: datetime, error: str = "") -> bool:
    """If the object of ``delivery`` has another pending row, that row takes this one's change: its target
    is widened to cover both, and this row becomes superseded. Call in a transaction."""
    sibling = pending_sibling_lock(delivery)
    if sibling is None:
        return False
    widened = common_target(sibling.target, delivery.target)
    if widened != sibling.target:
        Delivery.objects.filter(pk=sibling.pk, status=PENDING).update(target=widened)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SUPERSEDED, lease_until=None, completed_at=completed_at, last_error=error[:500]
    )
    return True


def release_lost(delivery: Delivery) -> None:
    """The sweeper's part: a row whose lease ran out (its worker is gone) is due again at once."""
    now = timezone.now()
    with transaction.atomic():
        if merge_into_pending(delivery, completed_at=now, error="lease expired (worker lost)"):
            return
        Delivery.objects.filter(pk=delivery.pk, status=IN_FLIGHT).update(
            status=PENDING, lease_until=None, next_attempt_at=now, last_error="lease expired (worker lost)"
        )


# --- The circuit breaker ------------------------------------------------------------------------------


def probe_interval(failures: int) -> float:
    """Seconds to the next probe of a paused receiver: doubling from the base with each failed probe."""
    extra = max(failures - settings.OCPI_HUB_BREAKER_THRESHOLD, 0)
    return float(min(settings.OCPI_HUB_BREAKER_PROBE_BASE * 2 ** min(extra, 20), settings.OCPI_HUB_BREAKER_PROBE_MAX))


def _breaker_update(queue: ReceiverQueue, results: list[Result]) -> None:
    failures = queue.failures
    for result in results:
        failures = 0 if result.breaker == "success" else failures + (result.breaker == "failure")
    now = timezone.now()
    paused = queue.paused_since is not None
    if paused and failures == 0:
        _resume(queue, now)
    elif failures >= settings.OCPI_HUB_BREAKER_THRESHOLD:
        _pause(queue, failures, now)
    elif failures != queue.failures:
        ReceiverQueue.objects.filter(pk=queue.pk).update(failures=failures)


def _pause(queue: ReceiverQueue, failures: int, now: datetime) -> None:
    wait = probe_interval(failures)
    ReceiverQueue.objects.filter(pk=queue.pk).update(
        failures=failures,
        paused_since=queue.paused_since or now,
        last_probe_at=now if queue.paused_since else queue.last_probe_at,
        next_probe_at=now + timedelta(seconds=wait),
    )
    if queue.paused_since is None:
        logger.warning(
            "Receiver %s paused after %s failed attempts in a row; probing every %.0f s or more",
            queue.pk,
            failures,
            wait,
            extra={"event": "receiver.paused", "platform": queue.pk},
        )


def _resume(queue: ReceiverQueue, now: datetime) -> None:
    ReceiverQueue.objects.filter(pk=queue.pk).update(
        failures=0, paused_since=None, next_probe_at=None, last_probe_at=now
    )
    # Converge now, not after each row's backoff.
    Delivery.objects.filter(receiver_id=queue.pk, status=PENDING, next_attempt_at__gt=now).update(next_attempt_at=now)
    logger.info(
        "Receiver %s answered its probe; resumed", queue.pk, extra={"event": "receiver.resumed", "platform": queue.pk}
    )


# --- A single row, synchronously (tests, admin tools) ------------------------------------------------


def delivery_attempt(delivery_id: int) -> str:
    """Claim one due row (unless its object is in flight), send it, record it; its outcome."""
    now = timezone.now()
    busy = Delivery.objects.filter(
        receiver=OuterRef("receiver"), module=OuterRef("module"), object_key=OuterRef("object_key"), status=IN_FLIGHT
    )
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=PENDING, next_attempt_at__lte=now)
        .exclude(Exists(busy))
        .update(status=IN_FLIGHT, attempts=F("attempts") + 1, lease_until=_lease_until())
    )
    if not claimed:
        return "not-claimed"
    delivery = Delivery.objects.select_related("receiver").get(pk=delivery_id)
    ReceiverQueue.objects.get_or_create(platform_id=delivery.receiver_id)
    with held.lock:
        held.rows.add(delivery_id)
    result = _deliver([delivery])[0]
    transaction.on_commit(lambda: dispatch.wake([delivery.receiver_id]) if _has_due(delivery.receiver_id) else None)
    return "retry" if result.status == PENDING else str(result.status)
