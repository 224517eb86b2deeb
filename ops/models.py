"""Heartbeats: each Celery worker and beat writes one row now and then; /readyz reads how fresh they are."""

from __future__ import annotations

from django.db import models


class HeartbeatKind(models.TextChoices):
    WORKER = "worker"
    BEAT = "beat"


class Heartbeat(models.Model):
    kind = models.CharField(max_length=10, choices=HeartbeatKind.choices)
    identity = models.CharField(max_length=200, help_text="Host name and process id of the writer.")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "identity"], name="unique_heartbeat")]
        indexes = [models.Index(fields=["kind", "-seen_at"], name="heartbeat_latest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.identity} {self.seen_at:%Y-%m-%d %H:%M:%S}"
