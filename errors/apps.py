from __future__ import annotations

from django.apps import AppConfig


class ErrorsConfig(AppConfig):
    """The chargex-errors extension: MREC catalog, error records, reliability KPIs."""

    name = "errors"
    label = "errors"
    verbose_name = "Charging errors and reliability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from errors import outbound  # noqa: F401 - registers the chargex-errors delivery renderer
        from errors.selectors import error_records_named_by
        from ocpi_hub.api import versions
        from parties.extension import MODULE, register_error_record_reader

        register_error_record_reader(error_records_named_by)

        versions.register(MODULE, "RECEIVER", f"receiver/{MODULE}")
        versions.register(MODULE, "SENDER", f"sender/{MODULE}")
