"""Charging sessions pushed by CPOs: one row per Session with its canonical (2.3.0-shaped) document, the
eMSP it is routed to, and its data-quality warnings.

Ids are CiStrings: ``session_key`` / ``token_uid_key`` / ``evse_uid_key`` hold the upper-cased values used
for lookups and linking; the document keeps the spelling the CPO sent.
"""

from __future__ import annotations

from django.db import models


class Session(models.Model):
    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="ocpi_sessions")
    country_code = models.CharField(max_length=2, help_text="Owner CPO, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner CPO, upper case.")
    session_id = models.CharField(max_length=36, help_text="As the CPO spells it.")
    session_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased id for lookups.")
    receiver = models.ForeignKey(
        "parties.Platform",
        on_delete=models.PROTECT,
        related_name="received_sessions",
        help_text="The eMSP platform this Session is routed to (the token owner).",
    )
    receiver_country_code = models.CharField(max_length=2)
    receiver_party_id = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField(null=True, blank=True)
    token_uid_key = models.CharField(max_length=36, help_text="cdr_token.uid, upper case.")
    location_key = models.CharField(max_length=36, help_text="location_id, upper case.")
    evse_uid_key = models.CharField(max_length=36, help_text="evse_uid, upper case.")
    last_updated = models.DateTimeField()
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) Session.")
    quality_warnings = models.JSONField(default=list, blank=True, help_text="[{code, field, message}]")
    warning_codes = models.CharField(max_length=500, blank=True, help_text="|CODE|CODE| for filtering.")
    no_agreement = models.BooleanField(
        "held: no roaming agreement",
        default=False,
        help_text="Stored but not forwarded: no active roaming agreement covers its CPO and eMSP (routing policy "
        "agreements).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_updated"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "session_key"], name="unique_session"),
        ]
        indexes = [
            models.Index(fields=["receiver", "last_updated", "id"], name="session_receiver_page"),
            models.Index(fields=["country_code", "party_id", "token_uid_key", "evse_uid_key"], name="session_link"),
            models.Index(fields=["last_updated"], name="session_last_updated"),
        ]

    def __str__(self) -> str:
        return self.object_key

    @property
    def object_key(self) -> str:
        """The key of this Session's deliveries."""
        return f"{self.country_code}/{self.party_id}/{self.session_id}"
