"""Charging profile relays: one row per GET/PUT/DELETE an eMSP or SCSP sent through the hub, and the results
the CPO posted back to the hub's ``response_url`` (holding the unguessable ``key``)."""

from __future__ import annotations

import secrets

from django.db import models


def new_key() -> str:
    return secrets.token_urlsafe(32)


class ChargingProfileRelay(models.Model):
    key = models.CharField(max_length=64, unique=True, default=new_key, editable=False)
    method = models.CharField(max_length=6, help_text="GET (active profile), PUT (set) or DELETE (clear).")
    requester = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="profiles_requested")
    requester_country_code = models.CharField(max_length=2)
    requester_party_id = models.CharField(max_length=3)
    requester_version = models.CharField(max_length=10)
    cpo = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="profiles_received")
    cpo_country_code = models.CharField(max_length=2)
    cpo_party_id = models.CharField(max_length=3)
    cpo_version = models.CharField(max_length=10)
    session_id = models.CharField(max_length=36, help_text="As the requester spelt it.")
    session_key = models.CharField(max_length=36, help_text="session_id, upper case.")
    response_url = models.CharField(max_length=255, help_text="The requester's own response_url.")
    correlation_id = models.CharField(max_length=100, blank=True)
    request = models.JSONField(help_text="SetChargingProfile (PUT) or the query parameters (GET/DELETE).")
    answer_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True, help_text="The CPO's ChargingProfileResponse.")
    answer_error = models.CharField(max_length=500, blank=True)
    timeout = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True, help_text="Last result, else the answer or hub error.")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_ms = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="Results are accepted until then.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["cpo", "session_key", "method"], name="profile_setter")]

    def __str__(self) -> str:
        return f"{self.method} {self.session_id} {self.requester_country_code}/{self.requester_party_id}"


class ChargingProfileResultRecord(models.Model):
    relay = models.ForeignKey(ChargingProfileRelay, on_delete=models.CASCADE, related_name="results")
    result = models.CharField(max_length=40)
    document = models.JSONField(help_text="The result as the CPO posted it (validated).")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.result} for {self.relay}"
