"""The AutoSchema class of the OCPI API (kept apart from the views-importing schema module)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


class OcpiAutoSchema(AutoSchema):
    pass
