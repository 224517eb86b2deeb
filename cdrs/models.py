"""Charge detail records pushed by CPOs: immutable, one row per CDR with its canonical (2.3.0-shaped)
document, the eMSP it is routed to, its link to a Session and its data-quality warnings."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class LinkMethod(models.TextChoices):
    SESSION_ID = "session_id", "By session_id"
    TOKEN_EVSE_TIME = "token_evse_time", "By token uid + EVSE + time window"
    NONE = "", "Not linked"


class Cdr(models.Model):
    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="cdrs")
    country_code = models.CharField(max_length=2, help_text="Owner CPO, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner CPO, upper case.")
    cdr_id = models.CharField(max_length=39, help_text="As the CPO spells it.")
    cdr_key = models.CharField(max_length=39, editable=False, help_text="Upper-cased id for lookups.")
    receiver = models.ForeignKey(
        "parties.Platform",
        on_delete=models.PROTECT,
        related_name="received_cdrs",
        db_index=False,  # cdr_receiver_page starts with it
        help_text="The eMSP platform this CDR is routed to (the token owner).",
    )
    receiver_country_code = models.CharField(max_length=2)
    receiver_party_id = models.CharField(max_length=3)
    version = models.CharField(max_length=10, help_text="OCPI version the CPO posted it in.")
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    token_uid_key = models.CharField(max_length=36, help_text="cdr_token.uid, upper case.")
    evse_uid_key = models.CharField(max_length=36, help_text="cdr_location.evse_uid, upper case.")
    session_ref = models.CharField(max_length=36, blank=True, help_text="session_id as sent (may be blank).")
    session = models.ForeignKey(
        "ocpi_sessions.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cdrs",
        db_index=False,  # cdr_session: linked CDRs only
    )
    link_method = models.CharField(max_length=20, choices=LinkMethod.choices, blank=True, default="")
    credit = models.BooleanField(default=False)
    credit_reference = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credited_by",
        db_index=False,  # cdr_credit_reference: credit CDRs only
    )
    total_energy = models.FloatField()
    currency = models.CharField(max_length=3)
    last_updated = models.DateTimeField()
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) CDR.")
    quality_warnings = models.JSONField(default=list, blank=True, help_text="[{code, field, message}]")
    warning_codes = models.CharField(max_length=500, blank=True, help_text="|CODE|CODE| for filtering.")
    cost_difference = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Set when the tariff check found a difference: total_cost before taxes less the computed one.",
    )
    no_agreement = models.BooleanField(
        "held: no roaming agreement",
        default=False,
        help_text="Stored but not forwarded: no active roaming agreement covers its CPO and eMSP (routing policy "
        "agreements).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "CDR"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "cdr_key"], name="unique_cdr"),
        ]
        indexes = [
            models.Index(fields=["receiver", "last_updated", "id"], name="cdr_receiver_page"),
            # Partial indexes: only the rows they are looked up by (fewer entries to write per CDR).
            models.Index(fields=["session"], condition=Q(session__isnull=False), name="cdr_session"),
            models.Index(
                fields=["credit_reference"], condition=Q(credit_reference__isnull=False), name="cdr_credit_reference"
            ),
            models.Index(fields=["-created_at"], condition=Q(link_method=""), name="cdr_unlinked"),
        ]

    def __str__(self) -> str:
        return self.object_key

    @property
    def object_key(self) -> str:
        """The key of this CDR's delivery."""
        return f"{self.country_code}/{self.party_id}/{self.cdr_id}"
