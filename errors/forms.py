"""The filter form of the reliability dashboard (CPO, location, period)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from errors.reports import ReportFilter, parse_bound, parse_cpo
from ocpi_hub.api.datetimes import DateTimeFormatError
from parties.models import PlatformRole

DEFAULT_DAYS = 7


def cpo_choices() -> list[tuple[str, str]]:
    roles = PlatformRole.objects.filter(role="CPO").order_by("country_code", "party_id")
    return [("", "All CPOs")] + [(f"{r.country_code}/{r.party_id}", f"{r.country_code}/{r.party_id}") for r in roles]


class BoundField(forms.CharField):
    """``YYYY-MM-DD`` or a UTC DateTime."""

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_bound(text)
        except DateTimeFormatError as exc:
            raise forms.ValidationError(str(exc)) from None


class DashboardFilterForm(forms.Form):
    cpo = forms.ChoiceField(required=False, label="CPO")
    location_id = forms.CharField(required=False, max_length=36, label="Location id")
    period_start = BoundField(required=False, label="From (UTC)", help_text="YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
    period_end = BoundField(required=False, label="Until (UTC, exclusive)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cpo"].choices = cpo_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("period_end") or timezone.now()
        start = data.get("period_start") or end - timedelta(days=DEFAULT_DAYS)
        if start >= end:
            raise forms.ValidationError("The period must start before it ends.")
        data["period_start"], data["period_end"] = start, end
        return data

    def report_filter(self) -> ReportFilter:
        data = self.cleaned_data
        return ReportFilter(
            start=data["period_start"],
            end=data["period_end"],
            cpo=parse_cpo(data.get("cpo")),
            location_id=data.get("location_id") or None,
        )
