"""Schema-driven fuzzing: every operation of both committed OpenAPI documents (docs/openapi/, ``make openapi``)
called over real HTTP against the live hub with requests schemathesis generates from the document, as a
registered platform (CPO and eMSP roles) with its token. Fails on any 5xx and wherever an answer disagrees
with the document: an undocumented status code or content type, a header declared required that is
missing (``X-Total-Count``, ``X-Limit``, ``Link`` on paginated GETs; the request ids), a body outside its
schema.

Bounded: ``EXAMPLES`` requests per operation (about 100 operations over the two documents), no shrinking;
the whole test takes well under 90 s. Every problem found is listed at the end, not only the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ocpi_hub.api.authentication import encode_token
from ocpi_party.party import OcpiParty
from tests.bodies import CPO_ROLE, EMSP_221_ROLE
from tests.factories import register

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ("2.2.1", "2.3.0")
EXAMPLES = 8
# Our own registration: rotating or deleting it would leave every later request unauthenticated.
SKIPPED = {("PUT", "credentials"), ("DELETE", "credentials")}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.django_db(transaction=True)
STATS: dict[str, dict[int, int]] = {}


def _fuzz_operation(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        counts = STATS.setdefault(base_url, {})
        counts[response.status_code] = counts.get(response.status_code, 0) + 1

    run()


@pytest.mark.parametrize("version", VERSIONS)
def test_every_operation_answers_as_documented(hub: Any, version: str) -> None:
    roles = [CPO_ROLE, EMSP_221_ROLE]
    with OcpiParty(version=version, roles=roles) as party:
        register(hub.url, party, f"Fuzzer {version}")
        STATS.pop(hub.url, None)
        headers = {
            "Authorization": f"Token {encode_token(party.token_c)}",
            "X-Request-ID": "fuzz",
            "X-Correlation-ID": "fuzz",
        }
        schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi" / f"ocpi-{version}.yaml")
        problems = []
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path.rstrip("/").rsplit("/", 1)[-1]) in SKIPPED:
                continue
            operations += 1
            try:
                _fuzz_operation(operation, hub.url, headers)
            except BaseException as exc:  # noqa: BLE001 - collected, all reported below
                if isinstance(exc, KeyboardInterrupt):
                    raise
                problems.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert operations > 40
    assert not STATS[hub.url].get(401), STATS  # every request was made as the registered platform
    assert not problems, f"{len(problems)} of {operations} operations disagree with the document:\n\n" + "\n\n".join(
        problems
    )
