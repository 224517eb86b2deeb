# mypy: disable-error-code="valid-type"
"""Wire models shared by Sessions and CDRs (OCPI 2.2.1 and 2.3.0): CdrToken, ChargingPeriod, CdrDimension.

Version differences handled here:
- ``CdrToken.type``: closed TokenType in 2.2.1; OpenEnum in 2.3.0 (adds ``EMAID``). Down-converted to 2.2.1 a
  type unknown there becomes ``OTHER`` (the field is required, so it cannot be left out).
- ``CdrDimension.type``: accepted as any string in both versions (the 2.2.1 OpenAPI marks it open-enum; 2.3.0
  forbids rejecting unknown values). Rendered, a dimension whose type the receiver's version does not know
  (e.g. 2.3.0 ``RESERVATION_EXPIRES`` for 2.2.1) is left out, and so is a period left without dimensions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ocpi_hub.api.wire import CiString, DateTime, Number, WireModel
from ocpi_hub.api.wire_common import TOKEN_TYPE_221_VALUES, V221, OpenEnum, TokenType221

Doc = dict[str, Any]

AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]

CDR_DIMENSION_TYPE_221_VALUES: frozenset[str] = frozenset(
    {
        "CURRENT",
        "ENERGY",
        "ENERGY_EXPORT",
        "ENERGY_IMPORT",
        "MAX_CURRENT",
        "MIN_CURRENT",
        "MAX_POWER",
        "MIN_POWER",
        "PARKING_TIME",
        "POWER",
        "RESERVATION_TIME",
        "STATE_OF_CHARGE",
        "TIME",
    }
)
CDR_DIMENSION_TYPE_230_VALUES: frozenset[str] = CDR_DIMENSION_TYPE_221_VALUES | {
    "RESERVATION_EXPIRES",
    "RESERVATION_OVERTIME",
}
DIMENSION_TYPES = {V221: CDR_DIMENSION_TYPE_221_VALUES, "2.3.0": CDR_DIMENSION_TYPE_230_VALUES}


class CdrToken221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType221
    contract_id: CiString(36)


class CdrToken230(CdrToken221):
    type: OpenEnum  # type: ignore[assignment]


class CdrDimension(WireModel):
    type: OpenEnum
    volume: Number()


class ChargingPeriod(WireModel):
    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: CiString(36) | None = None


# --- down-conversion ----------------------------------------------------------------------------------------


def cdr_token_for(token: Doc, version: str) -> Doc:
    """A canonical CdrToken as ``version`` can carry it (unknown 2.2.1 token types become ``OTHER``)."""
    if version == V221 and token.get("type") not in TOKEN_TYPE_221_VALUES:
        return {**token, "type": "OTHER"}
    return token


def charging_periods_for(periods: list[Doc] | None, version: str) -> list[Doc]:
    """Charging periods with only the dimension types ``version`` knows; periods left empty are dropped."""
    known = DIMENSION_TYPES[version]
    converted = []
    for period in periods or []:
        dimensions = [dimension for dimension in period.get("dimensions") or [] if dimension["type"] in known]
        if dimensions:
            converted.append({**period, "dimensions": dimensions})
    return converted


def prices_for(doc: Doc, fields: tuple[str, ...], convert: Any) -> Doc:
    """``doc`` with each Price field in ``fields`` converted by ``convert`` (absent fields stay absent)."""
    converted = dict(doc)
    for name in fields:
        if doc.get(name) is not None:
            converted[name] = convert(doc[name])
    return converted


def dimension_sum(periods: list[Doc] | None, dimension_type: str) -> float | None:
    """Sum of the volumes of one dimension type over all periods; None when no period reports it."""
    volumes = [
        float(dimension["volume"])
        for period in periods or []
        for dimension in period.get("dimensions") or []
        if dimension.get("type") == dimension_type
    ]
    return sum(volumes) if volumes else None
