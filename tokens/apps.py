from __future__ import annotations

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    label = "tokens"
    verbose_name = "Tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ocpi_hub.api import versions
        from parties import policy
        from tokens import outbound  # noqa: F401 - registers the Token renderer
        from tokens.services import agreement_backfill

        policy.register_backfill(agreement_backfill)  # Tokens of an eMSP with a new agreement

        versions.register("tokens", "RECEIVER", "receiver/tokens")
        versions.register("tokens", "SENDER", "sender/tokens")
