"""What the apps' admins share (no models are registered here): read-only objects, and lists that stay fast
at 10^6 rows (bench/admin_scale.py)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ocpi_hub.rows import table_row_estimate

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows (``SELECT count(*) FROM (... LIMIT n)``). Past that, an unfiltered list
    shows PostgreSQL's estimate of the table's size and a filtered one ``COUNT_CAP + 1`` rows: page numbers
    stay usable and no page costs a full count."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        capped = queryset.order_by()[: COUNT_CAP + 1].count()
        if capped <= COUNT_CAP or queryset.query.where:
            return capped
        return max(capped, table_row_estimate(queryset.model._meta.db_table))


class LargeTableAdmin(admin.ModelAdmin):
    """A list for a table that may hold millions of rows: no full counts, and search on indexed columns only.

    ``search_keys`` are ``*_key`` columns (upper-cased ids) matched exactly with the upper-cased search term;
    ``search_exact`` columns are matched exactly as typed. Each admin lists only columns an index can answer,
    and ``party_scoped_keys`` are keys whose index starts with (country_code, party_id): the search adds the
    pairs the hub knows so PostgreSQL can walk that index."""

    show_full_result_count = False
    paginator = CappedCountPaginator
    search_keys: Sequence[str] = ()
    search_exact: Sequence[str] = ()
    party_scoped_keys: Sequence[str] = ()
    search_help_text = "Exact id (not a part of it)."

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return [*self.search_keys, *self.party_scoped_keys, *self.search_exact]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        for name in self.search_keys:
            match |= Q(**{name: term.upper()})
        for name in self.search_exact:
            match |= Q(**{name: term})
        if self.party_scoped_keys:
            match |= _party_scoped(self.party_scoped_keys, term.upper())
        return queryset.filter(match), False


def _party_scoped(names: Sequence[str], key: str) -> Q:
    from parties.selectors import known_parties  # noqa: PLC0415 - ocpi_hub does not import parties at load

    countries = sorted({country for country, _ in known_parties()})
    party_ids = sorted({party for _, party in known_parties()})
    match = Q()
    for name in names:
        match |= Q(**{name: key})
    return Q(country_code__in=countries, party_id__in=party_ids) & match


class PartyFilter(admin.SimpleListFilter):
    """The owner's (country_code, party_id), listed from the platforms' roles: no DISTINCT over the big table,
    and the filter is the leading columns of the objects' unique index."""

    title = "party"
    parameter_name = "party"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from parties.selectors import known_parties  # noqa: PLC0415

        return [(f"{country}/{party}", f"{country}/{party}") for country, party in sorted(known_parties())]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        country, _, party = (self.value() or "").partition("/")
        if not party:
            return queryset
        return queryset.filter(country_code=country, party_id=party)


def values_filter(field: str, values: Sequence[str], title: str = "") -> type[admin.SimpleListFilter]:
    """A filter over a fixed list of values (``list_filter = ["field"]`` on a column without choices would
    list them with a SELECT DISTINCT over the whole table)."""

    def lookups(self: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, value) for value in values]

    def queryset(self: Any, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{field: self.value()}) if self.value() in values else queryset

    attributes = {"title": title or field, "parameter_name": field, "lookups": lookups, "queryset": queryset}
    return type(f"{field.title()}Filter", (admin.SimpleListFilter,), attributes)


class ReadOnlyAdmin(LargeTableAdmin):
    """Objects that arrive through the OCPI API (owned by the CPOs and eMSPs): the admin shows them and never
    adds, changes or deletes one."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
