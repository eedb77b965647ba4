"""Telling of events costs the same number of queries for one event as for a batch of them, so
a pipeline that opens thousands of incidents is not slowed by its notifications."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentEvent
from notifications import selectors
from notifications.models import Kind, Notification
from notifications.services import notifications_generate
from suppliers.models import Membership
from tests.factories import (
    BuyerMembershipFactory,
    BuyerPostFactory,
    IncidentEventFactory,
    IncidentFactory,
    PostMatchFactory,
    ResponseFactory,
    SupplierMembershipFactory,
    VendorCodeFactory,
)

pytestmark = pytest.mark.django_db

EventKind = IncidentEvent.Kind


def incident_with_people() -> Incident:
    """An incident of its own supplier (two responders, one assigned), reported by one buyer
    organization and followed by a member of another, which buys from the supplier."""
    incident = IncidentFactory(post_count=1)
    supplier = incident.supplier
    assignee = SupplierMembershipFactory(supplier=supplier).user
    SupplierMembershipFactory(supplier=supplier, role=Membership.Role.ADMIN)
    incident.assignee = assignee
    incident.save(update_fields=["assignee"])
    report = BuyerPostFactory(supplier=supplier)
    PostMatchFactory(post=report, supplier=supplier, incident=incident)
    follower = BuyerMembershipFactory().user
    incident.follows.create(user=follower)
    VendorCodeFactory(organization=follower.membership.organization, supplier=supplier)
    return incident


def pipeline_events(incident: Incident) -> list[IncidentEvent]:
    """What the pipeline records when it opens an incident and adds evidence to it."""
    return [
        IncidentEventFactory(incident=incident, kind=EventKind.CREATED),
        IncidentEventFactory(incident=incident, kind=EventKind.POST_ADDED, data={"post_id": 1}),
    ]


def every_kind_of_event(incident: Incident) -> list[IncidentEvent]:
    """Events told to the supplier's staff, to the buyers, or both."""
    answer = ResponseFactory(incident=incident)
    return [
        *pipeline_events(incident),
        IncidentEventFactory(incident=incident, kind=EventKind.SPIKE, data={"count": 9}),
        IncidentEventFactory(
            incident=incident, kind=EventKind.RESPONSE, data={"response_id": answer.pk}
        ),
        IncidentEventFactory(
            incident=incident,
            kind=EventKind.STATUS_CHANGED,
            data={"from": "new", "to": Incident.Status.RESOLVED},
        ),
        IncidentEventFactory(
            incident=incident, kind=EventKind.SLA_BREACHED, data={"due": "resolve"}
        ),
    ]


def queries_to_generate(events: list[IncidentEvent]) -> int:
    """The reads and writes of generating, but for the rows inserted: the database's own limit
    on parameters splits a long insert into several statements."""
    with CaptureQueriesContext(connection) as queries:
        notifications_generate(event_ids=[event.pk for event in events])
    return sum(1 for query in queries if not query["sql"].startswith("INSERT"))


@pytest.mark.parametrize("events_of", [pipeline_events, every_kind_of_event])
def test_telling_of_thirty_incidents_costs_the_queries_of_one(events_of):
    one = events_of(incident_with_people())
    thirty = [event for _ in range(30) for event in events_of(incident_with_people())]
    assert len({event.incident.supplier_id for event in thirty}) == 30

    for_one = queries_to_generate(one)
    told_of_one = Notification.objects.count()
    for_thirty = queries_to_generate(thirty)

    assert told_of_one > 0
    assert Notification.objects.count() == told_of_one * 31
    assert for_thirty <= for_one


@pytest.mark.parametrize("checks_per_query", [1, 100])
def test_a_batch_tells_each_event_to_the_people_it_concerns(monkeypatch, checks_per_query):
    # However many parties' visibility checks one query holds.
    monkeypatch.setattr(selectors, "_CHECKS_PER_QUERY", checks_per_query)
    incidents = [incident_with_people() for _ in range(3)]
    notifications_generate(
        event_ids=[event.pk for incident in incidents for event in every_kind_of_event(incident)]
    )
    for incident in incidents:
        told = set(
            Notification.objects.filter(incident=incident).values_list("recipient_id", "kind")
        )
        staff = set(incident.supplier.memberships.values_list("user_id", flat=True))
        reporter = incident.matches.get().post.author_id
        follower = incident.follows.get().user_id
        assert told == {
            *((user_id, Kind.NEW_INCIDENT) for user_id in [incident.assignee_id]),
            (incident.assignee_id, Kind.NEW_EVIDENCE),
            (incident.assignee_id, Kind.SLA_BREACHED),
            *((user_id, Kind.SPIKE) for user_id in staff),
            *(
                (user_id, kind)
                for user_id in (reporter, follower)
                for kind in (Kind.ANSWER, Kind.STATUS)
            ),
            (follower, Kind.SUPPLIER_SPIKE),
        }
