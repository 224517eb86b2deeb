"""Tokens published by eMSPs: one row per (owner party, uid, type) holding the canonical document.

The canonical document is the 2.3.0-shaped Token (see ``tokens.wire``); the hub serves and pushes it,
rendered per receiver version. ``uid`` is a CiString: ``uid_key`` holds the upper-cased uid for lookups, the
document and ``uid`` keep the spelling the eMSP sent. ``type`` is an enum and compared exactly.
"""

from __future__ import annotations

from django.db import models


class WhitelistType(models.TextChoices):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class Token(models.Model):
    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="tokens")
    country_code = models.CharField(max_length=2, help_text="Owner eMSP, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner eMSP, upper case.")
    uid = models.CharField(max_length=36, help_text="As the eMSP spells it.")
    uid_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased uid for lookups.")
    type = models.CharField(max_length=100, help_text="TokenType (an OpenEnum in 2.3.0).")
    contract_id = models.CharField(max_length=36)
    valid = models.BooleanField()
    whitelist = models.CharField(max_length=16, choices=WhitelistType.choices)
    last_updated = models.DateTimeField()
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) Token.")
    target = models.ForeignKey(
        "parties.Platform",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targeted_tokens",
        help_text="The one CPO the eMSP's last push named in OCPI-to-* (a targeted push); empty: every CPO.",
    )
    target_country_code = models.CharField(max_length=2, blank=True)
    target_party_id = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country_code", "party_id", "uid_key", "type"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "uid_key", "type"], name="unique_token"),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="token_page"),
            models.Index(fields=["uid_key", "type"], name="token_uid"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.uid} ({self.type})"

    @property
    def object_key(self) -> str:
        """The key of this Token's deliveries: ``{cc}/{pid}/{uid}/{type}``."""
        return f"{self.country_code}/{self.party_id}/{self.uid}/{self.type}"
