"""Merge and split over the API: a supplier's writing key merges its incidents and splits evidence
out; a merged incident's address answers 301 to its target; bad input names its field."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Incident, Post, PostMatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(alice, bob, initech, django_capture_on_commit_callbacks):
    """Acme's reports of lots L1 (two of them) and L2 about Initech, processed."""

    def report(author, lot: str) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            return services.post_report(
                author=author, supplier=initech, text="Housings cracked", lot=lot
            )

    return [report(alice, "L1"), report(bob, "L1"), report(alice, "L2")]


def incident_of(post: Post) -> Incident:
    return PostMatch.objects.get(post=post, incident__isnull=False).incident


def merge(api, persona: str, incident: Incident, body: dict):
    return api.client(persona).post(f"/api/v1/incidents/{incident.pk}/merge/", body, format="json")


def split(api, persona: str, incident: Incident, body: dict):
    return api.client(persona).post(f"/api/v1/incidents/{incident.pk}/split/", body, format="json")


def references(api, incident: Incident) -> list[str]:
    listed = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/posts/").json()
    return [item["reference"] for item in listed["results"]]


def test_a_suppliers_key_merges_and_the_merged_address_leads_to_the_target(api, reported):
    source, target = incident_of(reported[0]), incident_of(reported[2])

    response = merge(api, "initech", source, {"target": target.pk})

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == target.pk
    for persona in ("initech", "acme", "globex"):
        moved = api.client(persona).get(f"/api/v1/incidents/{source.pk}/")
        assert moved.status_code == 301
        assert moved["Location"].endswith(f"/api/v1/incidents/{target.pk}/")
        assert moved.json()["merged_into"] == target.pk
    assert api.client("umbrella").get(f"/api/v1/incidents/{source.pk}/").status_code == 404
    detail = api.client("acme").get(f"/api/v1/incidents/{target.pk}/").json()
    merged = [e for e in detail["timeline"] if e["kind"] == "merged"]
    assert merged and merged[0]["data"]["merged_incident_id"] == source.pk


def test_a_suppliers_key_splits_evidence_out(api, reported):
    incident = incident_of(reported[0])
    first, _ = references(api, incident)

    response = split(api, "initech", incident, {"evidence": [first]})

    assert response.status_code == 201, response.json()
    new = Incident.objects.get(pk=response.json()["id"])
    assert new != incident and len(references(api, new)) == 1
    assert len(references(api, incident)) == 1


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "target", 400),
        ({"target": "seven"}, "target", 400),
        ({"target": "self"}, "target", 422),
        ({"target": "umbrella"}, "target", 422),
        ({"target": 10**12}, "target", 422),
    ],
)
def test_bad_merges_name_their_field(api, reported, umbrella, body, field, status):
    from tests.factories import IncidentFactory

    source = incident_of(reported[0])
    if body.get("target") == "self":
        body = {"target": source.pk}
    elif body.get("target") == "umbrella":
        body = {"target": IncidentFactory(supplier=umbrella, post_count=1).pk}

    response = merge(api, "initech", source, body)

    assert response.status_code == status
    assert field in response.json()["error"]["fields"]
    assert incident_of(reported[0]) == source


def test_merging_a_merged_incident_or_into_one_is_refused(api, reported):
    source, target = incident_of(reported[0]), incident_of(reported[2])
    assert merge(api, "initech", source, {"target": target.pk}).status_code == 200

    into_merged = merge(api, "initech", target, {"target": source.pk})
    again = merge(api, "initech", source, {"target": target.pk})

    assert into_merged.status_code == 422 and "target" in into_merged.json()["error"]["fields"]
    # The merged incident is no longer one to act on: its address answers as a missing one.
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"evidence": []}, "evidence", 400),
        ({"evidence": "abc"}, "evidence", 400),
        ({"evidence": ["not-a-reference"]}, "evidence", 422),
        ({"evidence": "all"}, "evidence", 422),
    ],
)
def test_bad_splits_name_their_field(api, reported, body, field, status):
    incident = incident_of(reported[0])
    if body["evidence"] == "all":
        body = {"evidence": references(api, incident)}

    response = split(api, "initech", incident, body)

    assert response.status_code == status
    assert field in response.json()["error"]["fields"]
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("persona", ["acme", "initech_read", "umbrella"])
def test_only_the_suppliers_writing_keys_merge_or_split(api, reported, persona):
    source, target = incident_of(reported[0]), incident_of(reported[2])
    reference = references(api, source)[0]

    assert merge(api, persona, source, {"target": target.pk}).status_code in (403, 404)
    assert split(api, persona, source, {"evidence": [reference]}).status_code in (403, 404)
    assert incident_of(reported[0]) == source and Incident.objects.count() == 2


def test_the_schema_documents_merge_split_and_the_redirect(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]

    assert paths["/api/v1/incidents/{id}/merge/"]["post"]["operationId"] == "incidents_merge"
    assert paths["/api/v1/incidents/{id}/split/"]["post"]["operationId"] == "incidents_split"
    assert "301" in paths["/api/v1/incidents/{id}/"]["get"]["responses"]
