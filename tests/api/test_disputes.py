"""Disputes over the API: a supplier's key disputes evidence of its incident by the reference the
evidence list gives it; the evidence stays listed, marked disputed, for every key; nobody else
disputes; the dispute tells no key who reported an anonymous report, and goes to the webhooks."""

from __future__ import annotations

import pytest

from incidents.models import Dispute, Incident, IncidentEvent
from integrations.models import WebhookSubscription
from integrations.services.dispatch import event_type_for

from .conftest import ACME_IDENTITY, leaked

pytestmark = pytest.mark.django_db


def evidence(api, persona: str, incident: Incident) -> list[dict]:
    response = api.client(persona).get(f"/api/v1/incidents/{incident.pk}/posts/")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def dispute(api, persona: str, incident: Incident, **body):
    return api.client(persona).post(
        f"/api/v1/incidents/{incident.pk}/disputes/", body, format="json"
    )


def anonymous_report_reference(api, incident: Incident) -> str:
    (item,) = [
        item
        for item in evidence(api, "initech", incident)
        if item["kind"] == "buyer_report" and item["id"] is None
    ]
    return item["reference"]


def test_a_suppliers_key_disputes_an_anonymous_report_which_stays_listed(api, world):
    incident = world.incidents["initech"]
    reference = anonymous_report_reference(api, incident)

    response = dispute(api, "initech", incident, evidence=reference, reason="not_about_us")

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    assert Dispute.objects.get().post == world.posts["anonymous_report"]
    for persona in ("initech", "acme", "globex"):
        marked = [item for item in evidence(api, persona, incident) if item["dispute"]]
        assert [item["dispute"]["status"] for item in marked] == ["open"]
    # Only the supplier's own keys get references to dispute with.
    assert {item["reference"] for item in evidence(api, "globex", incident)} == {""}


def test_the_dispute_names_no_anonymous_reporter_anywhere(api, world):
    incident = world.incidents["initech"]
    reference = anonymous_report_reference(api, incident)
    dispute(api, "initech", incident, evidence=reference, reason="not_complaint", note="Odd.")

    for persona in ("initech", "globex"):
        detail = api.client(persona).get(f"/api/v1/incidents/{incident.pk}/").json()
        kinds = [entry["kind"] for entry in detail["timeline"]]
        assert IncidentEvent.Kind.DISPUTE_OPENED in kinds
        assert not leaked([detail, evidence(api, persona, incident)], ACME_IDENTITY)


def test_a_dispute_event_goes_to_the_webhooks(api, world):
    incident = world.incidents["initech"]
    dispute(
        api,
        "initech",
        incident,
        evidence=anonymous_report_reference(api, incident),
        reason="not_complaint",
    )

    event = IncidentEvent.objects.get(kind=IncidentEvent.Kind.DISPUTE_OPENED)
    assert event_type_for(event) == WebhookSubscription.Event.DISPUTED


@pytest.mark.parametrize("persona", ["acme", "initech_read", "umbrella"])
def test_only_the_suppliers_writing_keys_dispute(api, world, persona):
    incident = world.incidents["initech"]
    reference = anonymous_report_reference(api, incident)

    response = dispute(api, persona, incident, evidence=reference, reason="not_complaint")

    assert response.status_code in (403, 404)
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"evidence": "nope", "reason": "not_complaint"}, "evidence"),
        ({"evidence": "x", "reason": "boring"}, "reason"),
        ({"reason": "not_complaint"}, "evidence"),
    ],
)
def test_bad_input_names_its_field(api, world, body, field):
    response = dispute(api, "initech", world.incidents["initech"], **body)

    assert response.status_code in (400, 422)
    assert field in str(response.json())
    assert not Dispute.objects.exists()


def decide(api, persona: str, incident: Incident, dispute_id: int, decision: str):
    return api.client(persona).post(
        f"/api/v1/incidents/{incident.pk}/disputes/{dispute_id}/{decision}/",
        {"note": "Checked."},
        format="json",
    )


def test_the_reporting_organizations_key_decides_a_dispute_of_its_report(api, world):
    incident = world.incidents["initech"]
    opened = dispute(
        api,
        "initech",
        incident,
        evidence=anonymous_report_reference(api, incident),
        reason="not_about_us",
    ).json()

    for persona in ("globex", "initech", "acme_read"):
        assert decide(api, persona, incident, opened["id"], "reject").status_code in (403, 404)
    response = decide(api, "acme", incident, opened["id"], "reject")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rejected"
    assert decide(api, "acme", incident, opened["id"], "accept").status_code == 409
    assert Dispute.objects.get().status == "rejected"
