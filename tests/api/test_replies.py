"""Replies, accepting and rejecting a resolution over the API: only a reporting organization's
keys write them; another organization, a supplier and a read-only key are refused as for every
action; the supplier's key reads an anonymous reporter's reply and reason without its identity."""

from __future__ import annotations

import pytest

from incidents.models import Incident, IncidentEvent, Reply

from .conftest import ACME_IDENTITY, leaked

pytestmark = pytest.mark.django_db


def url(incident: Incident, what: str) -> str:
    return f"/api/v1/incidents/{incident.pk}/{what}/"


@pytest.fixture
def resolved(world) -> Incident:
    incident = world.incidents["initech"]
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.RESOLVED)
    incident.refresh_from_db()
    return incident


def test_a_reporting_organizations_key_replies(api, world):
    incident = world.incidents["initech"]
    response = api.client("acme").post(
        url(incident, "replies"), {"body": "Still cracked."}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["is_own"] and response.json()["organization"]["slug"] == "acme"
    assert Reply.objects.get().organization == world.acme


def test_the_suppliers_key_reads_an_anonymous_reply_without_its_organization(api, world):
    incident = world.incidents["initech"]
    api.client("acme").post(url(incident, "replies"), {"body": "Still cracked."}, format="json")
    replies = api.client("initech").get(url(incident, "replies")).json()
    assert [reply["body"] for reply in replies] == ["Still cracked."]
    assert replies[0]["organization"] is None and replies[0]["author"] is None
    detail = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert not leaked([replies, detail], ACME_IDENTITY)


def test_another_buyer_organizations_key_reads_no_reply(api, world):
    incident = world.incidents["initech"]
    api.client("acme").post(url(incident, "replies"), {"body": "Still cracked."}, format="json")
    assert api.client("globex").get(url(incident, "replies")).json() == []
    detail = api.client("globex").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert IncidentEvent.Kind.BUYER_REPLY not in [entry["kind"] for entry in detail["timeline"]]


@pytest.mark.parametrize(
    ("persona", "status"), [("initech", 403), ("acme_read", 403), ("umbrella", 403)]
)
def test_who_may_not_reply_is_refused(api, world, persona, status):
    response = api.client(persona).post(
        url(world.incidents["initech"], "replies"), {"body": "x"}, format="json"
    )
    assert response.status_code == status
    assert not Reply.objects.exists()


def test_an_organization_that_did_not_report_gets_a_403(api, world):
    incident = world.incidents["umbrella"]  # a public post only: Acme did not report it
    response = api.client("acme").post(url(incident, "replies"), {"body": "Me too."}, format="json")
    assert response.status_code == 403


def test_an_incident_the_key_may_not_see_is_a_404(api, world):
    response = api.client("globex").post(
        url(world.incidents["private_only"], "replies"), {"body": "x"}
    )
    assert response.status_code == 404


def test_a_reply_without_words_names_the_field(api, world):
    response = api.client("acme").post(
        url(world.incidents["initech"], "replies"), {"body": " "}, format="json"
    )
    assert response.status_code in (400, 422) and "body" in str(response.json())


def test_a_reporting_organization_accepts_a_resolution(api, resolved):
    response = api.client("globex").post(url(resolved, "accept"))
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.RESOLUTION_ACCEPTED).exists()


def test_rejecting_reopens_and_the_supplier_reads_the_reason_without_who(api, resolved):
    response = api.client("acme").post(
        url(resolved, "reject"), {"reason": "Same crack."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "reopened"
    detail = api.client("initech").get(f"/api/v1/incidents/{resolved.pk}/").json()
    [rejection] = [entry for entry in detail["timeline"] if entry["data"].get("rejected")]
    assert rejection["data"]["reason"] == "Same crack."
    assert not leaked(detail, ACME_IDENTITY)
    other = api.client("globex").get(f"/api/v1/incidents/{resolved.pk}/").json()
    assert "Same crack." not in str(other)


def test_a_rejection_without_a_reason_is_refused_naming_it(api, resolved):
    response = api.client("acme").post(url(resolved, "reject"), {"reason": ""}, format="json")
    assert response.status_code in (400, 422) and "reason" in str(response.json())
    assert Incident.objects.get(pk=resolved.pk).status == Incident.Status.RESOLVED


@pytest.mark.parametrize(
    ("persona", "status"), [("initech", 403), ("acme_read", 403), ("umbrella", 403)]
)
def test_who_may_not_reject_is_refused(api, resolved, persona, status):
    response = api.client(persona).post(url(resolved, "reject"), {"reason": "No."}, format="json")
    assert response.status_code == status
    assert Incident.objects.get(pk=resolved.pk).status == Incident.Status.RESOLVED


def test_an_open_incidents_resolution_cannot_be_rejected(api, world):
    response = api.client("acme").post(
        url(world.incidents["initech"], "reject"), {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
