"""Reads of stored Locations."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from locations.documents import LocationRef
from locations.models import Location
from locations.rows.lookups import any_location_lookup, evse_lookup, location_time_zone_lookup  # noqa: F401 - look-ups other apps run with theirs (SQL in rows)
from ocpi_hub.api.routing import PartyRef
from ocpi_hub.exceptions import InvalidParameters, NotFound
from ocpi_hub.push import CPO_ROLES
from parties import policy
from parties.models import Platform
from parties.tenancy import require_own_party


def location_get_own(*, platform: Platform, ref: LocationRef) -> Location:
    """A Location of one of the caller's own CPO roles (receiver GET); 2001 for a foreign owner, 404 if unknown."""
    country_code, party_id = require_own_party(platform, ref.country_code, ref.party_id, roles=CPO_ROLES)
    location = Location.objects.filter(
        country_code=country_code, party_id=party_id, location_key=ref.location_id.upper()
    ).first()
    if location is None:
        raise NotFound(f"Unknown location {country_code}/{party_id}/{ref.location_id}")
    return location


def location_list_published(*, owner: PartyRef | None = None, visible_to: Platform | None = None) -> QuerySet[Location]:
    """Published Locations (of one owner when given), for the paginated sender GET. With ``visible_to``: only
    those of CPOs the routing policy lets that platform see (``parties.policy``; everyone's under open)."""
    queryset = Location.objects.filter(publish=True)
    if visible_to is not None:  # a Location pushed to one receiver only (targeted push) is that receiver's
        queryset = queryset.filter(Q(target__isnull=True) | Q(target=visible_to))
        queryset = policy.filter_visible(queryset, visible_to, module="locations", viewer_side=policy.EMSP)
    if owner is not None:
        queryset = queryset.filter(country_code=owner.country_code, party_id=owner.party_id)
    return queryset


def location_published_get(
    *, location_id: str, owner: PartyRef | None = None, visible_to: Platform | None = None
) -> Location:
    """One published Location by id. Ids are only unique per CPO: when several CPOs use the same id the
    caller must name the owner with OCPI-to-* (2001 otherwise)."""
    matches = list(
        location_list_published(owner=owner, visible_to=visible_to).filter(location_key=location_id.upper())[:2]
    )
    if not matches:
        raise NotFound(f"Unknown location {location_id}")
    if len(matches) > 1:
        raise InvalidParameters(
            f"Location id {location_id} is used by several CPOs; name the owner with "
            "OCPI-to-country-code and OCPI-to-party-id"
        )
    return matches[0]


def location_owners(location_id: str) -> list[PartyRef]:
    """The CPOs that stored a Location with this id (published or not), at most two (ids are per CPO)."""
    rows = Location.objects.filter(location_key=location_id.upper()).values_list("country_code", "party_id")
    return [PartyRef(country, party) for country, party in rows.distinct().order_by()[:2]]


def locations_for_sync() -> QuerySet[Location]:
    """Every published broadcast Location, in a stable order (initial sync of a new receiver; targeted ones are not)."""
    return Location.objects.filter(publish=True, target__isnull=True).order_by("last_updated", "pk")
