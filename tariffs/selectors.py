"""Reads of stored Tariffs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.exceptions import NotFound
from ocpi_hub.push import CPO_ROLES
from parties import policy
from parties.models import Platform
from parties.tenancy import require_own_party
from tariffs.models import Tariff
from tariffs.rows import tariff_version_at, tariff_version_lookup, version_document  # noqa: F401 - look-ups other apps run with theirs (SQL in rows)


def tariff_get_own(*, platform: Platform, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """A live Tariff of one of the caller's own CPO roles (receiver GET); 2001 for a foreign owner, else 404."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=CPO_ROLES)
    tariff = (
        tariff_list_live().filter(country_code=country_code, party_id=party_id, tariff_key=tariff_id.upper()).first()
    )
    if tariff is None:
        raise NotFound(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
    return tariff


def tariff_list_live(*, owner: PartyRef | None = None, visible_to: Platform | None = None) -> QuerySet[Tariff]:
    """Tariffs not deleted (of one owner when given), for the paginated sender GET. With ``visible_to``: only
    the broadcast Tariffs and those pushed to that platform alone (targeted push)."""
    queryset = Tariff.objects.filter(deleted_at=None)
    if visible_to is not None:
        queryset = queryset.filter(Q(target__isnull=True) | Q(target=visible_to))
        queryset = policy.filter_visible(queryset, visible_to, module="tariffs", viewer_side=policy.EMSP)
    if owner is not None:
        queryset = queryset.filter(country_code=owner.country_code, party_id=owner.party_id)
    return queryset


def tariffs_for_sync() -> QuerySet[Tariff]:
    """Every live broadcast Tariff, in a stable order (initial sync of a new receiver; targeted ones are not)."""
    return tariff_list_live().filter(target__isnull=True).order_by("last_updated", "pk")
