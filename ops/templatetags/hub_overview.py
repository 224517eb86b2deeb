"""``{% hub_overview as overview %}`` for the admin index (ops/templates/admin/index.html)."""

from __future__ import annotations

from django import template

from ops.overview import Overview, hub_overview

register = template.Library()


@register.simple_tag(name="hub_overview")
def hub_overview_tag() -> Overview:
    return hub_overview()
