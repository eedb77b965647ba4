"""Bulk actions of the portal list: the ticked incidents are acknowledged, assigned, given a
severity or closed at once, each through its own service (one event each), and the list says what
was done and what was refused, and why."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.models import Incident, IncidentEvent, Severity
from incidents.services import incidents_act_in_bulk
from suppliers.models import Membership
from supplierwatch.errors import ApplicationError
from tests.factories import IncidentFactory, SupplierMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vic(initech):
    return SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user


@pytest.fixture
def incidents(initech):
    return [IncidentFactory(supplier=initech, post_count=1) for _ in range(5)]


def act(client, user, ids, action, **fields):
    client.force_login(user)
    data = {"incident": [str(pk) for pk in ids], "action": action, "back": "status=open"}
    data.update({key: str(value) for key, value in fields.items()})
    response = client.post(reverse("portal-incidents-bulk"), data)
    return response, [str(message) for message in get_messages(response.wsgi_request)]


def events(kind, incidents) -> int:
    return IncidentEvent.objects.filter(kind=kind, incident__in=incidents).count()


def test_a_responder_acknowledges_five_incidents_at_once(client, carol, incidents):
    response, said = act(client, carol, [i.pk for i in incidents], "acknowledge")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal-incidents") + "?status=open"
    assert set(Incident.objects.values_list("status", flat=True)) == {"acknowledged"}
    assert events(IncidentEvent.Kind.STATUS_CHANGED, incidents) == 5
    assert said == [f"Acknowledged 5 incidents: {', '.join(f'#{i.pk}' for i in incidents)}."]


def test_a_responder_assigns_several_to_a_colleague(client, carol, ivy, incidents):
    _, said = act(client, carol, [i.pk for i in incidents[:3]], "assign", assignee=ivy.pk)
    assert [
        i.assignee_id for i in Incident.objects.filter(pk__in=[i.pk for i in incidents[:3]])
    ] == [ivy.pk] * 3
    assert events(IncidentEvent.Kind.ASSIGNED, incidents) == 3
    assert said[0].startswith("Assigned 3 incidents")


def test_severity_is_set_on_each_and_what_is_already_so_is_left(client, carol, incidents):
    incidents[0].severity = Severity.CRITICAL
    incidents[0].save()
    _, said = act(client, carol, [i.pk for i in incidents], "severity", severity=4)
    assert set(Incident.objects.values_list("severity", flat=True)) == {Severity.CRITICAL}
    assert said == [
        f"Severity set on 4 incidents: {', '.join(f'#{i.pk}' for i in incidents[1:])}.",
        f"Already so, left unchanged: #{incidents[0].pk}.",
    ]


def test_what_is_refused_is_said_with_its_reason(client, carol, incidents, umbrella):
    resolved = incidents[0]
    resolved.status = Incident.Status.RESOLVED
    resolved.save()
    others = IncidentFactory(supplier=umbrella, post_count=1)
    _, said = act(client, carol, [resolved.pk, incidents[1].pk, others.pk], "close")
    assert Incident.objects.get(pk=resolved.pk).status == Incident.Status.CLOSED
    assert Incident.objects.get(pk=others.pk).status == Incident.Status.NEW
    assert said == [
        f"Closed 1 incident: #{resolved.pk}.",
        f"Refused #{incidents[1].pk}: Resolve the incident before closing it.",
        f"Refused #{others.pk}: No such incident.",
    ]


def test_a_viewer_cannot_act_in_bulk(client, vic, incidents):
    response, _ = act(client, vic, [incidents[0].pk], "acknowledge")
    assert response.status_code == 403
    assert Incident.objects.get(pk=incidents[0].pk).status == Incident.Status.NEW


def test_a_buyer_cannot_act_in_bulk(client, alice, incidents):
    response, _ = act(client, alice, [incidents[0].pk], "acknowledge")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("ids", "action", "fields", "words"),
    [
        ([], "acknowledge", {}, "Select at least one incident."),
        (["x"], "acknowledge", {}, "Select incidents from the list."),
        (["9" * 25], "acknowledge", {}, "Select incidents from the list."),
        (["0"], "close", {}, "Select incidents from the list."),
        ([1], "explode", {}, "Select a valid choice"),
        ([1], "severity", {}, "Choose the severity to set."),
        ([1], "assign", {"assignee": "999999"}, "Choose a responder or admin"),
    ],
)
def test_bad_input_is_explained_on_the_list(client, carol, incidents, ids, action, fields, words):
    response, said = act(client, carol, ids, action, **fields)
    assert response.status_code == 302
    assert any(words in message for message in said), said
    assert not IncidentEvent.objects.exists()


def test_at_most_a_hundred_incidents_at_once(carol, incidents):
    with pytest.raises(ApplicationError, match="at most 100"):
        incidents_act_in_bulk(actor=carol, incident_ids=range(1, 102), action="acknowledge")


def test_the_list_offers_the_bulk_form_to_those_who_act(client, carol, vic, incidents):
    client.force_login(carol)
    page = client.get(reverse("portal-incidents")).content.decode()
    assert 'form="bulk-form"' in page and 'id="bulk-form"' in page
    client.force_login(vic)
    assert 'id="bulk-form"' not in client.get(reverse("portal-incidents")).content.decode()
