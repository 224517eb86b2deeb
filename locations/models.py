"""Locations published by CPOs: one row per Location holding the canonical document (with its EVSEs and
Connectors), a denormalised row per EVSE, and the EVSE status history.

The canonical document is the 2.3.0-shaped JSON of the Location (see ``locations.wire``); it is what the
hub serves and pushes, rendered per receiver version. Ids are CiStrings: ``*_key`` columns hold the
upper-cased id for lookups, the document and ``location_id``/``uid`` keep the spelling the CPO sent.
"""

from __future__ import annotations

from django.db import models


class Location(models.Model):
    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="locations")
    country_code = models.CharField(max_length=2, help_text="Owner CPO, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner CPO, upper case.")
    location_id = models.CharField(max_length=36, help_text="As the CPO spells it.")
    location_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased id for lookups.")
    publish = models.BooleanField(default=True)
    last_updated = models.DateTimeField()
    document = models.JSONField(help_text="Canonical (2.3.0-shaped) Location with its EVSEs and Connectors.")
    target = models.ForeignKey(
        "parties.Platform",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targeted_locations",
        help_text="The one receiver the CPO's last Location PUT named in OCPI-to-* (a targeted push); empty: everyone.",
    )
    target_country_code = models.CharField(max_length=2, blank=True)
    target_party_id = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country_code", "party_id", "location_key"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "location_key"], name="unique_location"),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="location_page"),  # paging, date filters
            models.Index(fields=["location_key"], name="location_key"),  # sender GET by id (any owner)
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.location_id}"

    @property
    def object_key(self) -> str:
        """The key of this Location's deliveries."""
        return f"{self.country_code}/{self.party_id}/{self.location_id}"


class Evse(models.Model):
    """One EVSE of a Location, denormalised from the document for queries (status, KPIs)."""

    # indexed by the unique (location, uid_key) constraint
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="evse_rows", db_index=False)
    uid = models.CharField(max_length=36, help_text="As the CPO spells it.")
    uid_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased uid for lookups.")
    evse_id = models.CharField(max_length=48, blank=True)
    status = models.CharField(max_length=40)
    last_updated = models.DateTimeField()

    class Meta:
        verbose_name = "EVSE"
        ordering = ["location", "uid_key"]
        constraints = [models.UniqueConstraint(fields=["location", "uid_key"], name="unique_evse_per_location")]
        indexes = [models.Index(fields=["uid_key"], name="evse_uid")]  # the admin's search (never updated: HOT)

    def __str__(self) -> str:
        return f"{self.location} / {self.uid} ({self.status})"


class EvseStatusChange(models.Model):
    """An EVSE entered ``status`` at ``changed_at`` (the CPO's last_updated of that change)."""

    # indexed by evse_status_history
    evse = models.ForeignKey(Evse, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    status = models.CharField(max_length=40)
    changed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "EVSE status change"
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["evse", "changed_at"], name="evse_status_history")]

    def __str__(self) -> str:
        return f"{self.evse.uid} -> {self.status} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
