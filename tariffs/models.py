"""Tariffs published by CPOs: one row per Tariff with its canonical (2.3.0-shaped) document.

A DELETE by the owner is a soft delete (``deleted_at``) so that the delete can be pushed to the receivers;
deleted tariffs are not served. ``tariff_key`` is the upper-cased id (CiString) used for lookups.
"""

from __future__ import annotations

from django.db import models


class Tariff(models.Model):
    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="tariffs")
    country_code = models.CharField(max_length=2, help_text="Owner CPO, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner CPO, upper case.")
    tariff_id = models.CharField(max_length=36, help_text="As the CPO spells it.")
    tariff_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased id for lookups.")
    last_updated = models.DateTimeField()
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) Tariff.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Set when the owner deleted it.")
    target = models.ForeignKey(
        "parties.Platform",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targeted_tariffs",
        help_text="The one receiver the CPO's last PUT named in OCPI-to-* (a targeted push); empty: everyone.",
    )
    target_country_code = models.CharField(max_length=2, blank=True)
    target_party_id = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country_code", "party_id", "tariff_key"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "tariff_key"], name="unique_tariff"),
        ]
        indexes = [models.Index(fields=["last_updated", "id"], name="tariff_page")]  # paging, date filters

    def __str__(self) -> str:
        return self.object_key

    @property
    def object_key(self) -> str:
        """The key of this Tariff's deliveries."""
        return f"{self.country_code}/{self.party_id}/{self.tariff_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class TariffVersion(models.Model):
    """Every accepted version of a Tariff (each applied PUT), kept so that a CDR is priced with the version
    that was valid when its session started (``tariffs.selectors.tariff_version_lookup``)."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="versions")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    tariff_key = models.CharField(max_length=36)
    received_at = models.DateTimeField(help_text="When the hub accepted this version.")
    last_updated = models.DateTimeField()
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) Tariff as accepted.")

    class Meta:
        ordering = ["country_code", "party_id", "tariff_key", "-received_at"]
        indexes = [
            models.Index(fields=["country_code", "party_id", "tariff_key", "received_at"], name="tariff_version_at"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.tariff_key} @ {self.received_at:%Y-%m-%d %H:%M:%S}"
