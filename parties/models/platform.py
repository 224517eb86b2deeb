"""Platforms connected to the hub: their roles, endpoints and connection state."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from parties.tokens import mask_token


class ConnectionStatus(models.TextChoices):
    PLANNED = "PLANNED"
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    SUSPENDED = "SUSPENDED"


class Role(models.TextChoices):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class InterfaceRole(models.TextChoices):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Strictness(models.TextChoices):
    LENIENT = "lenient", "Lenient (non-UTC offsets converted)"
    STANDARD = "standard", "Standard"
    STRICT = "strict", "Strict (quality warnings rejected)"


DEFAULT_RENDER_VERSION = "2.2.1"  # what a platform without a negotiated version is sent


class Platform(models.Model):
    """One OCPI platform (a CPO/eMSP backend or another hub), serving one or more roles."""

    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=ConnectionStatus.choices, default=ConnectionStatus.PLANNED)
    version = models.CharField(max_length=10, blank=True, help_text="OCPI version in use with this platform.")
    versions_url = models.URLField(max_length=255, blank=True, help_text="The platform's versions endpoint.")
    token_in_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="SHA-256 of the token it calls us with."
    )
    token_in_is_registration = models.BooleanField(default=False, help_text="True while that token is token A.")
    token_out = models.CharField(max_length=255, blank=True, help_text="Token we call the platform with.")
    token_base64 = models.BooleanField(
        default=True, help_text="Base64-encode tokens (OCPI 2.2.1+). Off for peers that use raw tokens."
    )
    strictness = models.CharField(max_length=10, choices=Strictness.choices, default=Strictness.STANDARD)
    extension_opt_in = models.BooleanField(
        "custom modules opted in",
        default=False,
        help_text="Advertise the hub's custom modules (chargex-errors) to this platform even when its own version "
        "details do not list them.",
    )
    hub_party_id = models.CharField(max_length=5, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_alive_check_at = models.DateTimeField(null=True, blank=True)
    unauthorized_count = models.PositiveIntegerField(default=0)
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=255, blank=True)
    linked_platforms = models.ManyToManyField(
        "self",
        blank=True,
        help_text="Platforms of the same company that may hold roles with this platform's country code and "
        "party id (e.g. its CPO and eMSP backends). Without a link a pair belongs to one platform only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_lenient(self) -> bool:
        """Whether the platform is set to lenient parsing (non-UTC offsets converted, not rejected)."""
        return self.strictness == Strictness.LENIENT

    @property
    def render_version(self) -> str:
        """The OCPI version the hub renders pushes to this platform in (2.2.1 until the handshake set one)."""
        return self.version or DEFAULT_RENDER_VERSION

    @property
    def is_suspended(self) -> bool:
        return self.status == ConnectionStatus.SUSPENDED

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def masked_token_out(self) -> str:
        return mask_token(self.token_out)

    def touch(self) -> None:
        """Record that the platform talked to us (throttled to one write per 30 s). On a copy handed out by the
        token cache, the cached platform learns the time too, so the next request's copy does not write."""
        now = timezone.now()
        if self.last_seen_at is None or (now - self.last_seen_at).total_seconds() > 30:
            self.last_seen_at = now
            origin = self.__dict__.get("_cached_origin")
            if origin is not None:
                origin.last_seen_at = now
            Platform.objects.filter(pk=self.pk).update(last_seen_at=now)

    def party_keys(self) -> set[tuple[str, str]]:
        """(country_code, party_id) pairs this platform may act as."""
        cached = getattr(self, "_party_keys", None)
        if cached is None:
            cached = {(role.country_code, role.party_id) for role in self.roles.all()}
            self._party_keys = cached
        return cached

    def lists_module(self, identifier: str) -> bool:
        """Whether the platform's version details list ``identifier`` (in any role)."""
        return any(endpoint.identifier == identifier for endpoint in self.endpoints.all())

    def prefetched(self, name: str) -> Any:
        """``getattr(self, name).all()``, without building the related manager when ``name`` was prefetched
        (the delivery engine asks for a receiver's endpoints and roles once per push)."""
        cache = self.__dict__.get("_prefetched_objects_cache")
        if cache is not None and name in cache:
            return cache[name]
        return getattr(self, name).all()

    def endpoint_url(self, identifier: str, role: str) -> str | None:
        endpoint: Endpoint
        for endpoint in self.prefetched("endpoints"):
            if endpoint.identifier == identifier and endpoint.role == role:
                return endpoint.url
        return None


class PlatformRole(models.Model):
    """A CredentialsRole of a platform (country_code + party_id + role)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=5, choices=Role.choices)
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    business_details = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["country_code", "party_id", "role"], name="unique_party_role"),
        ]
        indexes = [models.Index(fields=["country_code", "party_id"])]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.role}"


class Endpoint(models.Model):
    """A module interface the platform offers in its version details."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=40)
    role = models.CharField(max_length=8, choices=InterfaceRole.choices)
    url = models.URLField(max_length=255)

    class Meta:
        ordering = ["identifier", "role"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "identifier", "role"], name="unique_platform_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


class AuthGeneration(models.Model):
    """One row: changes whenever a platform, its roles, endpoints or links change (database triggers, see
    ``parties/migrations/0005_auth_generation.py``). Every web process compares it with the value its token
    cache was filled under, once per request (``parties.selectors.credential_for_token``)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "parties_authgeneration"

    def __str__(self) -> str:
        return str(self.value)
