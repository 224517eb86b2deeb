"""The MREC catalog and the error records CPOs push (the chargex-errors extension, docs/extension-chargex-errors.md).

Ids are CiStrings: ``record_key``, ``location_id`` and ``evse_uid`` columns hold upper-cased values for
lookups and grouping; ``document`` keeps the record as the CPO spelled it (the canonical wire document).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from parties.extension import ERROR_SCHEMES


class MrecCode(models.Model):
    """One ChargeX Minimum Required Error Code. Reference data: loaded from errors/data/mrec_catalog.json."""

    code = models.CharField(max_length=5, unique=True, help_text="CX001..CX026")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)
    description = models.TextField()
    responsible_entities = models.JSONField(default=list, help_text="Who is likely to resolve it.")
    functional_classes = models.JSONField(default=list, help_text="Safety, Security, Maintenance, ...")
    ocpp16_error_code = models.CharField(max_length=30, help_text="OCPP 1.6 errorCode sent with it.")

    class Meta:
        verbose_name = "MREC code"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# The schemes are defined once, in parties.extension; labels as TextChoices would derive them.
SCHEME_CHOICES = [(scheme, scheme.replace("_", " ").title()) for scheme in ERROR_SCHEMES]


class Source(models.TextChoices):
    EVSE = "EVSE"
    EV = "EV"
    GRID = "GRID"
    NETWORK = "NETWORK"
    USER = "USER"


class ErrorRecord(models.Model):
    """A charging error a CPO reported at one of its EVSEs (optionally tied to a session or CDR)."""

    owner = models.ForeignKey("parties.Platform", on_delete=models.PROTECT, related_name="error_records")
    country_code = models.CharField(max_length=2, help_text="Owner CPO, upper case.")
    party_id = models.CharField(max_length=3, help_text="Owner CPO, upper case.")
    record_id = models.CharField(max_length=36, help_text="As the CPO spells it.")
    record_key = models.CharField(max_length=36, editable=False, help_text="Upper-cased id for lookups.")
    location_id = models.CharField(max_length=36, help_text="Upper case.")
    evse_uid = models.CharField(max_length=36, help_text="Upper case.")
    connector_id = models.CharField(max_length=36, blank=True)
    session_id = models.CharField(max_length=36, blank=True, help_text="Upper case.")
    cdr_id = models.CharField(max_length=39, blank=True, help_text="Upper case.")
    scheme = models.CharField(max_length=16, choices=SCHEME_CHOICES)
    code = models.CharField(max_length=50)
    vendor_id = models.CharField(max_length=255, blank=True)
    vendor_code = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    severity = models.PositiveSmallIntegerField(help_text="OCPP 2.x: 0 = danger ... 9 = debug.")
    component = models.CharField(max_length=50, blank=True)
    variable = models.CharField(max_length=50, blank=True)
    cause = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="effects")
    occurred_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=512, blank=True)
    last_updated = models.DateTimeField()
    is_private = models.BooleanField(
        default=False, help_text="Tied to a session or CDR: visible only to that session's eMSP."
    )
    private_to = models.ForeignKey(
        "parties.Platform",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="private_error_records",
        help_text="The eMSP of the linked session (private records only).",
    )
    private_to_party = models.CharField(
        max_length=6, blank=True, help_text="That eMSP's country_code/party_id (the OCPI-to-* of the push)."
    )
    document = models.JSONField(help_text="The record as pushed (canonical wire document).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "record_key"], name="unique_error_record"),
            models.CheckConstraint(condition=Q(severity__lte=9), name="error_severity_0_9"),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=F("occurred_at")),
                name="error_cleared_after_occurred",
            ),
        ]
        indexes = [
            models.Index(fields=["last_updated", "id"], name="error_record_page"),
            models.Index(fields=["occurred_at"], name="error_record_occurred"),
            models.Index(fields=["country_code", "party_id", "location_id", "evse_uid"], name="error_record_evse"),
            models.Index(fields=["occurred_at"], condition=Q(cleared_at__isnull=True), name="error_record_open"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.record_id} {self.scheme}:{self.code}"

    @property
    def object_key(self) -> str:
        """The key of this record's deliveries."""
        return f"{self.country_code}/{self.party_id}/{self.record_id}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
