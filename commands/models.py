"""Command relays: one row per command an eMSP sent through the hub, and the results that came back.

The hub hands the CPO a ``response_url`` of its own holding ``key`` (an unguessable random id, never the row's
sequential pk); the eMSP's own ``response_url`` stays here. A relay takes results until ``expires_at``.
"""

from __future__ import annotations

import secrets

from django.db import models


def new_key() -> str:
    return secrets.token_urlsafe(32)


class CommandRelay(models.Model):
    key = models.CharField(max_length=64, unique=True, default=new_key, editable=False)
    command = models.CharField(max_length=40)
    emsp = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="commands_sent")
    emsp_country_code = models.CharField(max_length=2)
    emsp_party_id = models.CharField(max_length=3)
    emsp_version = models.CharField(max_length=10)
    cpo = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="commands_received")
    cpo_country_code = models.CharField(max_length=2)
    cpo_party_id = models.CharField(max_length=3)
    cpo_version = models.CharField(max_length=10)
    response_url = models.CharField(max_length=255, help_text="The eMSP's own response_url (results go there).")
    location_key = models.CharField(max_length=36, blank=True, help_text="location_id, upper case.")
    session_key = models.CharField(max_length=36, blank=True, help_text="session_id, upper case.")
    reservation_key = models.CharField(max_length=36, blank=True, help_text="reservation_id, upper case.")
    correlation_id = models.CharField(max_length=100, blank=True)
    request = models.JSONField(help_text="The command as the eMSP sent it (canonical).")
    forwarded = models.JSONField(null=True, blank=True, help_text="The command as the CPO got it.")
    answer_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True, help_text="The CPO's CommandResponse.")
    answer_error = models.CharField(max_length=500, blank=True, help_text="The hub error when there was no answer.")
    timeout = models.PositiveIntegerField(null=True, blank=True, help_text="CommandResponse.timeout (s).")
    outcome = models.CharField(max_length=40, blank=True, help_text="Last result, else the answer or hub error.")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time the CPO took to answer.")
    expires_at = models.DateTimeField(help_text="Results are accepted until then.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["emsp", "command", "reservation_key"], name="command_reservation"),
            models.Index(fields=["created_at"], name="command_created"),
        ]

    def __str__(self) -> str:
        emsp, cpo = f"{self.emsp_country_code}/{self.emsp_party_id}", f"{self.cpo_country_code}/{self.cpo_party_id}"
        return f"{self.command} {emsp} -> {cpo}"


class CommandResultRecord(models.Model):
    """One CommandResult the CPO posted (a RESERVE_NOW relay may get ACCEPTED, later CANCELED_RESERVATION)."""

    relay = models.ForeignKey(CommandRelay, on_delete=models.CASCADE, related_name="results")
    result = models.CharField(max_length=40)
    document = models.JSONField(help_text="The CommandResult as the CPO posted it (validated).")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.result} for {self.relay}"

    @property
    def object_key(self) -> str:
        """The key of its delivery to the eMSP: the relay's id and the result's."""
        return f"{self.relay.key}/{self.pk}"
