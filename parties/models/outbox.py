"""The delivery outbox: one row per (receiver, object) update to push, one attempt row per try."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"
    SUPERSEDED = "superseded"


class Delivery(models.Model):
    """An object's newest state to push to one receiver. The payload is rendered at send time from the
    hub's stored state, in the receiver's version, so a queued row always carries the newest state."""

    receiver = models.ForeignKey("parties.Platform", on_delete=models.CASCADE, related_name="deliveries")
    module = models.CharField(max_length=40)
    object_key = models.CharField(max_length=200, help_text="Owner and id of the object, e.g. NL/CPO/LOC1.")
    target = models.CharField(max_length=300, blank=True, help_text="Sub-object to push; blank = whole object.")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(help_text="Start of the current delivery effort (reset by a redrive).")
    completed_at = models.DateTimeField(null=True, blank=True)
    correlation_id = models.CharField(max_length=100, blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_ocpi_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["receiver", "module", "object_key"],
                condition=Q(status="pending"),
                name="one_pending_delivery_per_object",
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            models.Index(
                fields=["receiver", "next_attempt_at"], condition=Q(status="pending"), name="delivery_receiver_due"
            ),
            models.Index(
                fields=["completed_at"], condition=Q(status__in=["succeeded", "superseded"]), name="delivery_done"
            ),
            models.Index(fields=["lease_until"], condition=Q(status="in_flight"), name="delivery_in_flight"),
            models.Index(fields=["module", "object_key"]),
            models.Index(fields=["status", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.module} {self.object_key} -> {self.receiver} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    request_id = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=500)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ocpi_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.http_status}/{self.ocpi_status}"


class ReceiverQueue(models.Model):
    """Per receiver: whether a drain is asked for or running, and its circuit breaker.

    The database decides what is due; the broker carries only "drain this receiver now" messages. A message
    is published when ``wake_at`` is empty (and stamped with it), so a receiver has at most one waiting
    message however many changes arrive; the drain that starts clears it. ``drain_until`` is the lease of
    the running drain (renewed by its worker's heartbeat). After ``OCPI_HUB_BREAKER_THRESHOLD`` failed
    attempts in a row the queue pauses: one probe at a time at ``next_probe_at``, nothing else is sent."""

    platform = models.OneToOneField(
        "parties.Platform", on_delete=models.CASCADE, primary_key=True, related_name="receiver_queue"
    )
    wake_at = models.DateTimeField(null=True, blank=True, help_text="When a drain message was published.")
    drain_until = models.DateTimeField(null=True, blank=True, help_text="Lease of the running drain.")
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts in a row.")
    paused_since = models.DateTimeField(null=True, blank=True)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    next_probe_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["paused_since"], condition=Q(paused_since__isnull=False), name="queue_paused")]

    def __str__(self) -> str:
        return f"queue of {self.platform_id}"


class EngineLock(models.Model):
    """A named lease that only one process holds at a time (the sweeper: sweeps never overlap)."""

    name = models.CharField(max_length=40, primary_key=True)
    held_until = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
