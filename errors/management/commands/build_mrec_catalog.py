"""Build ``errors/data/mrec_catalog.json``, the MREC catalog shipped with the hub.

Facts (code, number, name, responsible entities, functional classes, OCPP 1.6 errorCode) are read from the
research file ``../shared/chargex/mrec.json``; the descriptions are the hub's own, written below. The
output is deterministic, so ``--check`` can tell whether the committed file is up to date::

    python manage.py build_mrec_catalog            # (re)write errors/data/mrec_catalog.json
    python manage.py build_mrec_catalog --check    # exit 1 when the committed file differs
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.catalog import CATALOG_PATH, MREC_VENDOR_ID

DEFAULT_SOURCE = Path(settings.BASE_DIR).parent / "shared" / "chargex" / "mrec.json"
CODE_PATTERN = re.compile(r"^CX[0-9]{3}$")
EXPECTED_COUNT = 26

# One sentence per code, in our own words: what the station observed and what it means for charging.
DESCRIPTIONS: dict[str, str] = {
    "CX001": "The connector's retention lock could not be engaged or released, so the plug was not "
    "secured (or could not be freed) for the session.",
    "CX002": "Ground-fault protection (GFCI/RCD) saw leakage current and opened the charging circuit.",
    "CX003": "A temperature inside the charger is above its limit; the charger lowers its output to cool down.",
    "CX004": "More current flowed than the circuit allows and the over-current protection interrupted it.",
    "CX005": "The voltage delivered to the vehicle rose above the permitted maximum.",
    "CX006": "The voltage delivered to the vehicle dropped below the permitted minimum.",
    "CX007": "The charger's wireless link (cellular or Wi-Fi) reports poor reception, putting back-office "
    "communication at risk.",
    "CX008": "The charger's emergency stop button was pressed and charging was halted.",
    "CX009": "The vehicle was plugged in but no authorization arrived in time, so charging never started.",
    "CX010": "The vehicle is in a state in which it may not be charged (for example not parked or still switched on).",
    "CX011": "The DC cable check that precedes energy transfer failed, for instance its insulation test.",
    "CX012": "During DC pre-charge the output could not be brought to the voltage the vehicle asked for.",
    "CX013": "The charger has no internet connection and cannot reach its back office.",
    "CX014": "The control pilot signal between vehicle and charger is outside its valid range.",
    "CX015": "The mains supply to the charger failed, so no energy can be delivered.",
    "CX016": "A contactor on the vehicle side failed to open or close as commanded (welded contacts included).",
    "CX017": "A contactor inside the charger failed to open or close as commanded (welded contacts included).",
    "CX018": "The charging cable or connector is too warm; output power was reduced so charging can go on.",
    "CX019": "The charging cable or connector became too hot and the session was stopped to protect the equipment.",
    "CX020": "The connector is not fully seated in the vehicle inlet (its latch stays raised), so charging "
    "cannot go on.",
    "CX021": "The insulation monitor tripped during charging on too high a capacitance to ground.",
    "CX022": "The insulation monitor tripped during charging on too low a resistance to the vehicle chassis.",
    "CX023": "The proximity detection signal is outside its valid range.",
    "CX024": "Voltage is present on the charger output when there should be none: before a session starts "
    "or after it ended.",
    "CX025": "The mechanical latch of the connector is broken.",
    "CX026": "The charging cable has been cut through or torn off the charger.",
}


def catalog_entry(item: dict[str, Any]) -> dict[str, Any]:
    """Our catalog entry for one source item: facts copied field by field, description our own."""
    code = str(item["code"]).upper()
    if not CODE_PATTERN.match(code):
        raise CommandError(f"{code}: not an MREC code (CXnnn)")
    if code not in DESCRIPTIONS:
        raise CommandError(f"{code}: no description written for this code")
    return {
        "code": code,
        "number": int(item["number"]),
        "name": str(item["name"]),
        "description": DESCRIPTIONS[code],
        "responsible_entities": [str(value) for value in item["responsible"]],
        "functional_classes": [str(value) for value in item["category"]],
        "ocpp16_error_code": str((item.get("ocpp16") or {}).get("errorCode") or "OtherError"),
    }


def build_catalog(source: dict[str, Any]) -> dict[str, Any]:
    codes = sorted((catalog_entry(item) for item in source["mrecs"]), key=lambda entry: entry["code"])
    found = [entry["code"] for entry in codes]
    expected = [f"CX{number:03d}" for number in range(1, EXPECTED_COUNT + 1)]
    if found != expected:
        raise CommandError(f"expected exactly {expected[0]}..{expected[-1]}, found {found}")
    return {
        "catalog": "ChargeX Minimum Required Error Codes (MREC)",
        "scheme": "MREC",
        "ocpp16_vendor_id": MREC_VENDOR_ID,
        "extension_version": "1.0",
        "note": (
            "Codes, names, responsible entities and functional classes follow the ChargeX MREC "
            "recommendations; descriptions are written by the hub project. Generated by "
            "errors/management/commands/build_mrec_catalog.py; do not edit by hand."
        ),
        "codes": codes,
    }


def render_catalog(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Build errors/data/mrec_catalog.json from the shared MREC research file (../shared/chargex/mrec.json)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="mrec.json to read")
        parser.add_argument("--output", type=Path, default=CATALOG_PATH, help="catalog file to write")
        parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file differs")

    def handle(self, *args: Any, **options: Any) -> None:
        source_path: Path = options["source"]
        if not source_path.is_file():
            raise CommandError(f"{source_path}: not found (pass --source)")
        text = render_catalog(build_catalog(json.loads(source_path.read_text(encoding="utf-8"))))
        output: Path = options["output"]
        if options["check"]:
            current = output.read_text(encoding="utf-8") if output.is_file() else ""
            if current != text:
                raise CommandError(f"{output} is out of date: run manage.py build_mrec_catalog")
            self.stdout.write(f"{output} is up to date")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {output} ({EXPECTED_COUNT} codes)")
