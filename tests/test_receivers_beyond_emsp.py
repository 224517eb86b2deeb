"""Sessions and CDRs routed to a PTP (2.3.0 role OTHER) or an SCSP when the CPO names it with OCPI-to-*,
not only to the eMSP owning the token (issue 15, item 5). Real HTTP, real worker."""

from __future__ import annotations

import pytest

from cdrs.models import Cdr
from ocpi_party.party import OcpiParty
from sessions.models import Session
from tests.bodies import CPO_A, EMSP_X, cdr_body, session_body
from tests.factories import register

pytestmark = pytest.mark.django_db(transaction=True)

PTP = {"role": "OTHER", "country_code": "NL", "party_id": "PTP", "business_details": {"name": "Payment terminals"}}
SCSP = {"role": "SCSP", "country_code": "NL", "party_id": "SCS", "business_details": {"name": "Smart charging"}}
RECEIVES = [("sessions", "RECEIVER"), ("cdrs", "RECEIVER")]


def to(party: dict) -> dict[str, str]:
    return {"OCPI-to-country-code": party["country_code"], "OCPI-to-party-id": party["party_id"]}


def test_sessions_and_cdrs_go_to_the_ptp_or_scsp_the_cpo_names(hub, celery_worker):
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp,
        OcpiParty(version="2.3.0", roles=[PTP], modules=RECEIVES) as ptp,
        OcpiParty(version="2.3.0", roles=[SCSP], modules=[("sessions", "RECEIVER")]) as scsp,
    ):
        for party, name in ((cpo, "CPO A"), (emsp, "eMSP X"), (ptp, "PTP"), (scsp, "SCSP")):
            register(hub.url, party, name)
        sessions_url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA"

        put = cpo.call("PUT", f"{sessions_url}/S1", session_body(), headers=to(PTP))
        assert put.json()["status_code"] == 1000, put.text
        put = cpo.call("PUT", f"{sessions_url}/S2", session_body(session_id="S2"), headers=to(SCSP))
        assert put.json()["status_code"] == 1000, put.text
        posted = cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), cdr_body(), headers=to(PTP))
        assert posted.json()["status_code"] == 1000, posted.text
        put = cpo.call("PUT", f"{sessions_url}/S3", session_body(session_id="S3"))  # no OCPI-to: the token owner
        assert put.json()["status_code"] == 1000, put.text

        assert Session.objects.get(session_id="S1").receiver.name == "PTP"
        assert Session.objects.get(session_id="S2").receiver.name == "SCSP"
        assert Cdr.objects.get().receiver.name == "PTP"
        ptp.wait_for(lambda _: {r.path for r in ptp.requests_to("sessions", "PUT")} == {"/2.3.0/sessions/NL/CPA/S1"})
        ptp.wait_for(lambda _: len(ptp.requests_to("cdrs", "POST")) == 1)
        scsp.wait_for(lambda _: [r.path for r in scsp.requests_to("sessions", "PUT")] == ["/2.3.0/sessions/NL/CPA/S2"])
        emsp.wait_for(lambda _: [r.path for r in emsp.requests_to("sessions", "PUT")] == ["/2.3.0/sessions/NL/CPA/S3"])
        assert emsp.requests_to("cdrs") == []
        pushed = ptp.requests_to("sessions", "PUT")[0]
        assert (pushed.header("ocpi-to-country-code"), pushed.header("ocpi-to-party-id")) == ("NL", "PTP")
