"""What supplier staff do with an incident: every action leaves its IncidentEvent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import (
    SLA_ACKNOWLEDGE,
    SLA_RESOLVE,
    Incident,
    IncidentEvent,
    Post,
    Response,
    Severity,
)
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(initech) -> Incident:
    return IncidentFactory(supplier=initech, severity=Severity.MEDIUM, post_count=1)


@pytest.fixture
def colleague(initech):
    """Another member of Initech's staff, carol's colleague."""
    return SupplierMembershipFactory(supplier=initech).user


def reported(incident: Incident, organization, visibility: str) -> Post:
    post = BuyerPostFactory(
        organization=organization, supplier=incident.supplier, visibility=visibility
    )
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("pk").values_list("kind", flat=True))


def last_event(incident: Incident) -> IncidentEvent:
    return incident.events.order_by("pk").last()


def with_status(incident: Incident, status: str) -> Incident:
    Incident.objects.filter(pk=incident.pk).update(status=status)
    incident.refresh_from_db()
    return incident


# --- acknowledge ------------------------------------------------------------------------------


def test_acknowledging_a_new_incident_records_who_and_when(incident, carol):
    result = services.incident_acknowledge(incident=incident, actor=carol)

    incident.refresh_from_db()
    assert result.status == incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.acknowledged_at is not None
    event = last_event(incident)
    assert event.kind == IncidentEvent.Kind.STATUS_CHANGED
    assert event.actor == carol
    assert event.data == {"from": "new", "to": "acknowledged"}


def test_acknowledging_twice_writes_one_event(incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    first = Incident.objects.get(pk=incident.pk).acknowledged_at
    services.incident_acknowledge(incident=incident, actor=carol)

    assert kinds(incident) == [IncidentEvent.Kind.STATUS_CHANGED]
    assert Incident.objects.get(pk=incident.pk).acknowledged_at == first


def test_acknowledging_a_reopened_incident_acknowledges_it_again(incident, carol):
    with_status(incident, Incident.Status.REOPENED)
    services.incident_acknowledge(incident=incident, actor=carol)
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.ACKNOWLEDGED


@pytest.mark.parametrize("status", [Incident.Status.RESOLVED, Incident.Status.CLOSED])
def test_a_finished_incident_cannot_be_acknowledged(incident, carol, status):
    with_status(incident, status)
    with pytest.raises(ApplicationError) as caught:
        services.incident_acknowledge(incident=incident, actor=carol)
    assert caught.value.field == "status"
    assert not incident.events.exists()


# --- assign -----------------------------------------------------------------------------------


def test_an_incident_can_be_assigned_to_a_colleague(incident, carol, colleague):
    services.incident_assign(incident=incident, actor=carol, assignee=colleague)

    incident.refresh_from_db()
    assert incident.assignee == colleague
    event = last_event(incident)
    assert event.kind == IncidentEvent.Kind.ASSIGNED
    assert event.actor == carol
    assert event.data == {"assignee_id": colleague.pk, "assignee": colleague.display_name}


@pytest.mark.parametrize("outsider", ["dave", "alice", "operator"])
def test_an_incident_cannot_be_assigned_outside_the_supplier(incident, carol, outsider, request):
    with pytest.raises(ApplicationError) as caught:
        services.incident_assign(
            incident=incident, actor=carol, assignee=request.getfixturevalue(outsider)
        )
    assert caught.value.field == "assignee"
    incident.refresh_from_db()
    assert incident.assignee is None
    assert not incident.events.exists()


def test_assigning_the_same_person_again_writes_no_event(incident, carol, colleague):
    services.incident_assign(incident=incident, actor=carol, assignee=colleague)
    services.incident_assign(incident=incident, actor=carol, assignee=colleague)
    assert kinds(incident) == [IncidentEvent.Kind.ASSIGNED]


def test_an_incident_can_be_unassigned(incident, carol, colleague):
    services.incident_assign(incident=incident, actor=carol, assignee=colleague)
    services.incident_assign(incident=incident, actor=carol, assignee=None)

    incident.refresh_from_db()
    assert incident.assignee is None
    assert last_event(incident).data == {"assignee_id": None, "assignee": None}


# --- investigate --------------------------------------------------------------------------------


def test_starting_an_investigation_also_acknowledges(incident, carol):
    services.incident_start_investigation(incident=incident, actor=carol)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    assert last_event(incident).data == {"from": "new", "to": "investigating"}


def test_a_closed_incident_cannot_be_investigated(incident, carol):
    with_status(incident, Incident.Status.CLOSED)
    with pytest.raises(ApplicationError):
        services.incident_start_investigation(incident=incident, actor=carol)


# --- respond ----------------------------------------------------------------------------------


def test_a_public_answer_is_stored_and_announced(incident, carol):
    response = services.incident_respond(
        incident=incident, author=carol, body="  We have quarantined the lot.  "
    )

    assert response.visibility == Response.Visibility.PUBLIC
    assert response.organization is None
    assert response.body == "We have quarantined the lot."
    answered = incident.events.get(kind=IncidentEvent.Kind.RESPONSE)
    assert answered.actor == carol
    assert answered.data == {"response_id": response.pk, "visibility": "public"}


def test_answering_a_new_incident_acknowledges_it(incident, carol):
    services.incident_respond(incident=incident, author=carol, body="Looking into it.")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.acknowledged_at is not None
    assert kinds(incident) == [IncidentEvent.Kind.RESPONSE, IncidentEvent.Kind.STATUS_CHANGED]


def test_answering_an_investigated_incident_keeps_its_status(incident, carol):
    services.incident_start_investigation(incident=incident, actor=carol)
    services.incident_respond(incident=incident, author=carol, body="Root cause found.")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.INVESTIGATING
    assert kinds(incident)[-1] == IncidentEvent.Kind.RESPONSE


def test_an_empty_answer_is_refused(incident, carol):
    with pytest.raises(ApplicationError) as caught:
        services.incident_respond(incident=incident, author=carol, body="   ")
    assert caught.value.field == "body"
    assert not Response.objects.exists()


def test_a_private_answer_goes_to_an_organization_that_reported_by_name(incident, carol, acme):
    reported(incident, acme, Post.Visibility.NAMED)

    response = services.incident_respond(
        incident=incident, author=carol, body="Credit note on its way.", organization=acme
    )

    assert response.visibility == Response.Visibility.ORGANIZATION
    assert response.organization == acme
    answered = incident.events.get(kind=IncidentEvent.Kind.RESPONSE)
    # The organization is not named in the timeline, which webhooks and other buyers read.
    assert answered.data == {"response_id": response.pk, "visibility": "organization"}
    assert "acme" not in str(answered.data).lower()


@pytest.mark.parametrize("visibility", [Post.Visibility.ANONYMOUS, Post.Visibility.PRIVATE, None])
def test_a_private_answer_cannot_go_to_an_organization_that_did_not_report_by_name(
    incident, carol, acme, visibility
):
    if visibility:
        reported(incident, acme, visibility)

    with pytest.raises(ApplicationError) as caught:
        services.incident_respond(
            incident=incident, author=carol, body="Who are you?", organization=acme
        )

    assert caught.value.field == "organization"
    assert not Response.objects.exists()
    assert not incident.events.exists()
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.NEW


def test_a_named_report_on_another_incident_does_not_open_a_private_channel(
    incident, initech, carol, acme
):
    elsewhere = IncidentFactory(supplier=initech)
    reported(elsewhere, acme, Post.Visibility.NAMED)

    with pytest.raises(ApplicationError) as caught:
        services.incident_respond(incident=incident, author=carol, body="Hi", organization=acme)
    assert caught.value.field == "organization"


# --- resolve, close, severity -----------------------------------------------------------------


def test_the_open_statuses_are_the_statuses_before_resolved():
    """One list says which incidents are open: the queries, the state machine and the database's
    "one open incident per problem" constraint all read it."""
    assert set(Incident.OPEN_STATUSES) == set(Incident.Status.values) - {"resolved", "closed"}
    (constraint,) = Incident._meta.constraints
    assert constraint.condition.children == [("status__in", list(Incident.OPEN_STATUSES))]


def test_resolving_records_when_and_why(incident, carol):
    services.incident_resolve(incident=incident, actor=carol, note="  Tool replaced.  ")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at is not None
    assert incident.acknowledged_at is not None
    event = last_event(incident)
    assert event.actor == carol
    assert event.data == {"from": "new", "to": "resolved", "note": "Tool replaced."}


def test_a_resolved_incident_cannot_be_resolved_again(incident, carol):
    services.incident_resolve(incident=incident, actor=carol)
    with pytest.raises(ApplicationError) as caught:
        services.incident_resolve(incident=incident, actor=carol)
    assert caught.value.field == "status"
    assert len(kinds(incident)) == 1


def test_a_resolved_incident_can_be_closed(incident, carol):
    services.incident_resolve(incident=incident, actor=carol)
    services.incident_close(incident=incident, actor=carol)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.closed_at is not None
    assert last_event(incident).data == {"from": "resolved", "to": "closed"}


@pytest.mark.parametrize(
    "status",
    [
        Incident.Status.NEW,
        Incident.Status.ACKNOWLEDGED,
        Incident.Status.INVESTIGATING,
        Incident.Status.REOPENED,
        Incident.Status.CLOSED,
    ],
)
def test_only_a_resolved_incident_can_be_closed(incident, carol, status):
    with_status(incident, status)
    with pytest.raises(ApplicationError) as caught:
        services.incident_close(incident=incident, actor=carol)
    assert caught.value.field == "status"
    incident.refresh_from_db()
    assert incident.status == status
    assert incident.closed_at is None


def test_the_whole_lifecycle_leaves_a_complete_timeline(incident, carol, colleague, acme):
    reported(incident, acme, Post.Visibility.NAMED)
    services.incident_acknowledge(incident=incident, actor=carol)
    services.incident_assign(incident=incident, actor=carol, assignee=colleague)
    services.incident_start_investigation(incident=incident, actor=colleague)
    services.eightd_update(incident=incident, discipline="d4", actor=colleague, text="Worn tool.")
    services.incident_respond(incident=incident, author=colleague, body="Tool replaced.")
    services.incident_respond(
        incident=incident, author=colleague, body="Credit.", organization=acme
    )
    services.incident_resolve(incident=incident, actor=colleague)
    services.incident_close(incident=incident, actor=carol)

    K = IncidentEvent.Kind
    assert kinds(incident) == [
        K.STATUS_CHANGED,
        K.ASSIGNED,
        K.STATUS_CHANGED,
        K.EIGHT_D,
        K.RESPONSE,
        K.RESPONSE,
        K.STATUS_CHANGED,
        K.STATUS_CHANGED,
    ]
    statuses = [e.data["to"] for e in incident.events.filter(kind=K.STATUS_CHANGED).order_by("pk")]
    assert statuses == ["acknowledged", "investigating", "resolved", "closed"]


def test_raising_the_severity_brings_the_sla_forward(incident, carol):
    services.incident_set_severity(incident=incident, actor=carol, severity=Severity.CRITICAL)

    incident.refresh_from_db()
    assert incident.severity == Severity.CRITICAL
    assert (
        incident.acknowledge_due_at
        == Incident.sla_clock_start(incident.created_at) + SLA_ACKNOWLEDGE[Severity.CRITICAL]
    )
    assert (
        incident.resolve_due_at
        == Incident.sla_clock_start(incident.created_at) + SLA_RESOLVE[Severity.CRITICAL]
    )
    event = last_event(incident)
    assert event.kind == IncidentEvent.Kind.SEVERITY_CHANGED
    assert event.data == {"from": Severity.MEDIUM, "to": Severity.CRITICAL}


def test_raising_the_severity_of_a_reopened_incident_counts_from_its_reopening(incident, carol):
    reopened_at = incident.created_at + timedelta(days=40)
    incident.start_sla(reopened_at)
    incident.save()

    services.incident_set_severity(incident=incident, actor=carol, severity=Severity.CRITICAL)

    incident.refresh_from_db()
    clock = Incident.sla_clock_start(reopened_at)
    # Counted from the first opening, both promises would be long past: breached at once.
    assert incident.acknowledge_due_at == clock + SLA_ACKNOWLEDGE[Severity.CRITICAL]
    assert incident.resolve_due_at == clock + SLA_RESOLVE[Severity.CRITICAL]


def test_setting_the_same_severity_writes_no_event(incident, carol):
    services.incident_set_severity(incident=incident, actor=carol, severity=Severity.MEDIUM)
    assert not incident.events.exists()


@pytest.mark.parametrize("severity", [0, 5, True, "high", None])
def test_a_severity_that_is_none_of_the_four_is_refused_naming_the_field(incident, carol, severity):
    with pytest.raises(ApplicationError) as refused:
        services.incident_set_severity(incident=incident, actor=carol, severity=severity)
    assert refused.value.field == "severity"
    incident.refresh_from_db()
    assert incident.severity == Severity.MEDIUM
    assert not incident.events.exists()


def test_acknowledging_twice_reads_and_locks_the_incident_once(incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    with CaptureQueriesContext(connection) as captured:
        again = services.incident_acknowledge(incident=incident, actor=carol)
    assert again.status == Incident.Status.ACKNOWLEDGED
    sql = [query["sql"] for query in captured.captured_queries]
    assert len([q for q in sql if 'FROM "incidents_incident"' in q]) == 1
    assert not [q for q in sql if q.startswith(("INSERT", "UPDATE"))]
    assert incident.events.count() == 1


# --- who may act ------------------------------------------------------------------------------

LIFECYCLE = {
    "acknowledge": lambda incident, actor: services.incident_acknowledge(
        incident=incident, actor=actor
    ),
    "investigate": lambda incident, actor: services.incident_start_investigation(
        incident=incident, actor=actor
    ),
    "assign": lambda incident, actor: services.incident_assign(
        incident=incident,
        actor=actor,
        assignee=SupplierMembershipFactory(supplier=incident.supplier).user,
    ),
    "respond": lambda incident, actor: services.incident_respond(
        incident=incident, author=actor, body="We are on it."
    ),
    "8d": lambda incident, actor: services.eightd_update(
        incident=incident, discipline="d3", actor=actor, text="Quarantined."
    ),
    "severity": lambda incident, actor: services.incident_set_severity(
        incident=incident, actor=actor, severity=Severity.HIGH
    ),
    "resolve": lambda incident, actor: services.incident_resolve(incident=incident, actor=actor),
}


@pytest.fixture
def viewer(initech):
    """Initech's read-only colleague."""
    return SupplierMembershipFactory(supplier=initech, role="viewer").user


@pytest.mark.parametrize("action", list(LIFECYCLE))
@pytest.mark.parametrize("outsider", ["alice", "dave", "viewer", "newcomer"])
def test_only_the_suppliers_responders_and_operators_act_on_its_incident(
    incident, action, outsider, request
):
    with pytest.raises(ApplicationError) as caught:
        LIFECYCLE[action](incident, request.getfixturevalue(outsider))
    assert caught.value.code == "forbidden"
    assert not incident.events.exists()
    assert not Response.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.NEW


@pytest.mark.parametrize("action", list(LIFECYCLE))
@pytest.mark.parametrize("actor", ["carol", "operator"])
def test_the_suppliers_responders_and_operators_act(incident, action, actor, request):
    person = request.getfixturevalue(actor)
    LIFECYCLE[action](incident, person)
    assert incident.events.filter(actor=person).exists()


def test_closing_checks_its_actor_too(incident, carol, alice):
    services.incident_resolve(incident=incident, actor=carol)
    with pytest.raises(ApplicationError) as caught:
        services.incident_close(incident=incident, actor=alice)
    assert caught.value.code == "forbidden"


def test_an_inactive_colleague_is_no_longer_assignable(incident, carol, colleague):
    colleague.is_active = False
    colleague.save()
    with pytest.raises(ApplicationError) as caught:
        services.incident_assign(incident=incident, actor=carol, assignee=colleague)
    assert caught.value.field == "assignee"
