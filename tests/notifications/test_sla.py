"""SLA warnings and breaches are told to whoever has the incident: its assignee, or the team's
acting staff while nobody has it; never to buyers, viewers or another supplier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from incidents import services
from incidents.models import Incident, IncidentEvent
from notifications.models import SUPPLIER_KINDS, Kind, Notification
from suppliers.models import Membership
from tests.factories import SupplierMembershipFactory

pytestmark = pytest.mark.django_db


def told() -> set[tuple[str, str]]:
    return {(row.recipient.email, row.kind) for row in Notification.objects.all()}


@pytest.fixture
def overdue(report, initech, alice, carol, ivy, dave) -> Incident:
    """Alice's incident at Initech (with a read-only colleague there), nobody told of it yet."""
    SupplierMembershipFactory(
        user__email="vera@initech.test", supplier=initech, role=Membership.Role.VIEWER
    )
    incident = report(alice)
    Notification.objects.all().delete()
    mail.outbox.clear()
    return incident


def record(committed, at) -> None:
    committed(services.sla_alerts_record, now=at)


def test_a_breach_tells_the_acting_team_while_nobody_has_the_incident(overdue, committed):
    record(committed, overdue.acknowledge_due_at)
    assert told() == {
        ("carol@initech.test", Kind.SLA_BREACHED),
        ("ivy@initech.test", Kind.SLA_BREACHED),
    }
    assert Notification.objects.filter(title__startswith="SLA breached: #").count() == 2
    assert len(mail.outbox) == 2


def test_a_warning_tells_the_assignee_only(overdue, committed, carol, ivy):
    committed(services.incident_assign, incident=overdue, actor=ivy, assignee=carol)
    Notification.objects.all().delete()
    overdue.refresh_from_db()
    record(committed, overdue.acknowledge_due_at - timedelta(minutes=30))
    assert told() == {("carol@initech.test", Kind.SLA_WARNING)}
    note = Notification.objects.get()
    assert note.title.startswith("SLA about to be breached: #")
    assert "first answer due by" in note.text


def test_recording_twice_tells_each_person_once(overdue, committed):
    record(committed, overdue.acknowledge_due_at)
    record(committed, overdue.acknowledge_due_at + timedelta(minutes=1))
    assert Notification.objects.count() == 2
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.SLA_BREACHED).count() == 1


def test_staff_choose_how_they_hear_of_warnings_and_breaches():
    assert Kind.SLA_WARNING in SUPPLIER_KINDS
    assert Kind.SLA_BREACHED in SUPPLIER_KINDS
