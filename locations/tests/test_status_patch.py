"""The EVSE status PATCH fast path (``locations.wire.status_patched``): a ``{"status", "last_updated"}`` body
is applied without the EVSE model, and must give exactly what the general path (merge, then the version's
model) gives, and refuse (hand over to the general path) whatever that path refuses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from locations.documents import merge_patch
from locations.tests.helpers import official_locations
from locations.wire import STATUSES, parse_evse, status_patched
from tests.ocpi_schema import requires_examples

VERSIONS = ("2.2.1", "2.3.0")
STAMP = "2026-01-02T03:04:05.678Z"


def _general(version: str, current: dict[str, Any], body: dict[str, Any], *, lenient: bool = False) -> Any:
    return parse_evse(version, merge_patch(current, body), lenient=lenient)


def _stored_evses(version: str) -> list[dict[str, Any]]:
    """The canonical EVSEs of the official Location examples of ``version``."""
    return [evse for location in official_locations(version) for evse in location.get("evses") or []]


@requires_examples
@pytest.mark.parametrize("version", VERSIONS)
def test_the_fast_path_gives_what_the_model_gives_for_every_official_evse(version: str) -> None:
    evses = _stored_evses(version)
    assert evses, "no EVSE in the official Location examples"
    for current in evses:
        for status in sorted(STATUSES):
            body = {"status": status, "last_updated": STAMP}
            assert status_patched(current, body, version) == _general(version, current, body)


def _evse(**changes: Any) -> dict[str, Any]:
    connector = {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
                 "max_voltage": 230, "max_amperage": 32, "last_updated": "2024-05-01T10:00:00Z"}  # fmt: skip
    evse = {"uid": "E1", "status": "AVAILABLE", "connectors": [connector], "last_updated": "2024-05-01T10:00:00Z"}
    return parse_evse("2.3.0", {**evse, **changes})


@pytest.mark.parametrize(
    "body",
    [
        {"status": "charging", "last_updated": STAMP},  # the enumeration is upper case
        {"status": "PLUGGED_IN", "last_updated": STAMP},
        {"status": None, "last_updated": STAMP},
        {"status": "CHARGING", "last_updated": "yesterday"},
        {"status": "CHARGING", "last_updated": "2999-01-01T00:00:00Z"},  # later than the hub's clock allows
        {"status": "CHARGING", "last_updated": 1767322800},
        {"status": "CHARGING"},
        {"status": "CHARGING", "last_updated": STAMP, "floor_level": "2"},  # another field: the general path
        ["CHARGING"],
    ],
)
def test_any_other_body_goes_the_general_way(body: Any) -> None:
    assert status_patched(_evse(), body, "2.3.0") is None


def test_a_lenient_platforms_timestamp_is_read_as_the_model_reads_it() -> None:
    body = {"status": "CHARGING", "last_updated": "2026-01-02T03:04:05.678+01:00"}
    assert status_patched(_evse(), body, "2.3.0") is None  # strict: an offset is refused
    assert status_patched(_evse(), body, "2.2.1", lenient=True) == _general("2.2.1", _evse(), body, lenient=True)


def test_a_status_patch_keeps_fields_of_another_version_that_its_model_would_refuse() -> None:
    """An EVSE stored from 2.3.0 with a capability 2.2.1 does not know: a 2.2.1 status PATCH changes only the
    status (the general path re-validates the whole EVSE with the 2.2.1 model and refuses it)."""
    current = _evse(capabilities=["A_2_3_0_CAPABILITY"])
    body = {"status": "CHARGING", "last_updated": STAMP}
    with pytest.raises(ValidationError):
        _general("2.2.1", current, body)
    assert status_patched(current, body, "2.2.1") == {**current, "status": "CHARGING", "last_updated": STAMP}


_TIMES = st.one_of(
    st.from_regex(
        r"\A20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-][01][0-9]:[0-5][0-9])?\Z"
    ),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(status=st.one_of(st.sampled_from(sorted(STATUSES)), st.text(max_size=12)), stamp=_TIMES, lenient=st.booleans())
def test_the_fast_path_never_accepts_what_the_model_refuses(status: str, stamp: str, lenient: bool) -> None:
    current, body = _evse(), {"status": status, "last_updated": stamp}
    fast = status_patched(current, body, "2.2.1", lenient=lenient)
    try:
        general = _general("2.2.1", current, body, lenient=lenient)
    except ValidationError:
        assert fast is None
    else:
        assert fast in (None, general)
        assert fast is not None or status not in STATUSES  # a valid status PATCH takes the fast path


def test_an_evse_with_unknown_fields_of_another_version_goes_the_general_way() -> None:
    """A write in another version replaces the unknown fields an object keeps (ocpi_hub.api.unknown): the
    general path applies that rule, so the fast path hands such an EVSE over."""
    current = parse_evse("2.3.0", {**_evse(), "x_future": 1})
    body = {"status": "CHARGING", "last_updated": STAMP}
    assert status_patched(current, body, "2.2.1") is None
    assert status_patched(current, body, "2.3.0") == {**current, "status": "CHARGING", "last_updated": STAMP}
