"""Roaming agreements: which CPO role and which eMSP role the hub routes between (policy ``agreements``).

An agreement names two parties by country_code/party_id, not platforms: a platform may hold several roles,
and an agreement on one of them says nothing about the others. Rules of use: ``parties.policy``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# What an agreement may cover; each is a boolean column of Agreement (the broadcast statement tests it in SQL).
SCOPES = ("locations", "tariffs", "tokens", "sessions", "commands", "authorize")


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Agreement(models.Model):
    """A roaming agreement between a CPO role and an eMSP role, with a status, validity dates and a scope."""

    cpo_country_code = models.CharField(max_length=2, help_text="CPO side, upper case.")
    cpo_party_id = models.CharField(max_length=3, help_text="CPO side, upper case.")
    emsp_country_code = models.CharField(max_length=2, help_text="eMSP side, upper case.")
    emsp_party_id = models.CharField(max_length=3, help_text="eMSP side, upper case.")
    status = models.CharField(max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED)
    valid_from = models.DateTimeField(null=True, blank=True, help_text="Routes from then on (empty: at once).")
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Routes until then (empty: no end).")
    locations = models.BooleanField(default=True, help_text="The CPO's Locations (and EVSE error records).")
    tariffs = models.BooleanField(default=True, help_text="The CPO's Tariffs.")
    tokens = models.BooleanField(default=True, help_text="The eMSP's Tokens.")
    sessions = models.BooleanField("sessions and CDRs", default=True)
    commands = models.BooleanField("commands and charging profiles", default=True)
    authorize = models.BooleanField("real-time authorization", default=True)
    note = models.CharField(max_length=255, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id", "-created_at"]
        constraints = [
            # Ended agreements stay as history; at most one other per pair.
            models.UniqueConstraint(
                fields=["cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id"],
                condition=~Q(status="ended"),
                name="one_open_agreement_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="agreement_valid_until_after_from",
            ),
        ]
        indexes = [
            # The routing checks look active agreements up from either side.
            models.Index(
                fields=["cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id"],
                condition=Q(status="active"),
                name="agreement_active_by_cpo",
            ),
            models.Index(
                fields=["emsp_country_code", "emsp_party_id", "cpo_country_code", "cpo_party_id"],
                condition=Q(status="active"),
                name="agreement_active_by_emsp",
            ),
        ]

    def __str__(self) -> str:
        return f"CPO {self.cpo} <-> eMSP {self.emsp} ({self.status})"

    def save(self, *args: object, **kwargs: object) -> None:
        for name in ("cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id"):
            setattr(self, name, getattr(self, name).upper())
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def cpo(self) -> str:
        return f"{self.cpo_country_code}/{self.cpo_party_id}"

    @property
    def emsp(self) -> str:
        return f"{self.emsp_country_code}/{self.emsp_party_id}"

    def scope_list(self) -> list[str]:
        return [scope for scope in SCOPES if getattr(self, scope)]
