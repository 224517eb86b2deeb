"""Held Sessions and CDRs (routing policy ``agreements``: stored without a roaming agreement, not forwarded)
are forwarded once their agreement exists: by the admin's action on a selection and by ``ocpi_release_held``;
those whose pair still has no agreement stay held. Real worker, real HTTP."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cdrs.models import Cdr
from ocpi_party.party import OcpiParty
from parties.models import Delivery
from parties.services.agreements import agreement_create
from sessions.models import Session
from tests.bodies import EMSP_X, EMSP_Y, cdr_body, cdr_token, session_body

pytestmark = pytest.mark.django_db(transaction=True)


def _post_cdr(cpo: OcpiParty, cdr_id: str, emsp: dict) -> None:
    body = cdr_body("2.2.1", cdr_id=cdr_id, cdr_token=cdr_token(emsp))
    assert cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), body).json()["status_code"] == 1000


def _put_session(cpo: OcpiParty, session_id: str, emsp: dict) -> None:
    url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/{session_id}"
    body = session_body("2.2.1", session_id=session_id, cdr_token=cdr_token(emsp))
    assert cpo.call("PUT", url, body).json()["status_code"] == 1000


def _listed(party: OcpiParty, module: str) -> list[str]:
    return [item["id"] for item in party.call("GET", party.hub_url(module, "SENDER")).json()["data"]]


def test_held_records_are_forwarded_once_their_agreement_exists(parties, agreements, admin_client):  # noqa: ANN001
    cpo, emsp_x, emsp_y = parties
    _post_cdr(cpo, "CDRY", EMSP_Y)
    _post_cdr(cpo, "CDRX", EMSP_X)
    _put_session(cpo, "SY", EMSP_Y)
    assert set(Cdr.objects.filter(no_agreement=True).values_list("cdr_id", flat=True)) == {"CDRY", "CDRX"}
    agreement_create(cpo="NL/CPA", emsp="DE/EMY", activate=True)  # Y only: X's CDR stays held
    assert Cdr.objects.get(cdr_id="CDRY").no_agreement  # activating an agreement does not release them

    selected = [str(pk) for pk in Cdr.objects.values_list("pk", flat=True)]
    answer = admin_client.post(
        "/admin/cdrs/cdr/", {"action": "forward_held", "_selected_action": selected}, follow=True
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Forwarded 1 held CDRs; 1 still have no active roaming agreement" in text
    emsp_y.wait_for(lambda rs: len(emsp_y.requests_to("cdrs", "POST")) == 1)
    assert emsp_y.requests_to("cdrs", "POST")[0].body["id"] == "CDRY"
    assert _listed(emsp_y, "cdrs") == ["CDRY"]
    assert Cdr.objects.get(cdr_id="CDRX").no_agreement
    assert emsp_x.requests_to("cdrs") == []

    call_command("ocpi_release_held", "--emsp", "DE/EMY")
    emsp_y.wait_for(lambda rs: len(emsp_y.requests_to("sessions", "PUT")) == 1)
    assert not Session.objects.get(session_id="SY").no_agreement
    assert _listed(emsp_y, "sessions") == ["SY"]

    # Released once: a second run forwards nothing more (and queues nothing).
    answer = admin_client.post(
        "/admin/cdrs/cdr/", {"action": "forward_held", "_selected_action": selected}, follow=True
    )
    assert "Forwarded 0 held CDRs; 1 still have no active roaming agreement" in answer.content.decode()
    assert Delivery.objects.filter(module="cdrs").count() == 1


def test_only_who_manages_agreements_may_forward_held_records(client, django_user_model):  # noqa: ANN001
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_cdr"))
    client.force_login(staff)
    page = client.get("/admin/cdrs/cdr/").content.decode()
    assert "forward_held" not in page
    staff.user_permissions.add(Permission.objects.get(codename="change_agreement"))
    staff = django_user_model.objects.get(pk=staff.pk)  # permissions are cached on the instance
    client.force_login(staff)
    assert "forward_held" in client.get("/admin/cdrs/cdr/").content.decode()
