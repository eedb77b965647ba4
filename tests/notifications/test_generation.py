"""Who is told of what: each kind of event reaches exactly the people it concerns, once, with
nothing they may not see."""

from __future__ import annotations

import pytest
from django.core import mail

from incidents import services
from incidents.models import Incident, IncidentEvent, Post
from notifications.models import GeneratedEvent, Kind, Notification
from notifications.selectors import event_recipients
from notifications.services import events_to_generate, notifications_generate
from notifications.tasks import generate_notifications, sweep_notifications
from suppliers.models import Membership
from tests.factories import RoutingRuleFactory, SupplierMembershipFactory, VendorCodeFactory

from .conftest import PO_NUMBER

pytestmark = pytest.mark.django_db


def told(kind=None) -> set[tuple[str, str]]:
    rows = Notification.objects.all()
    if kind is not None:
        rows = rows.filter(kind=kind)
    return {(row.recipient.email, row.kind) for row in rows}


@pytest.fixture
def viewer_role(initech):
    """Initech's read-only colleague."""
    return SupplierMembershipFactory(
        user__email="vera@initech.test", supplier=initech, role=Membership.Role.VIEWER
    ).user


def test_a_new_incident_tells_the_suppliers_acting_staff(
    report, alice, carol, ivy, dave, viewer_role
):
    report(alice)
    assert told() == {
        ("carol@initech.test", Kind.NEW_INCIDENT),
        ("ivy@initech.test", Kind.NEW_INCIDENT),
    }


def test_a_new_incident_of_private_reports_tells_nobody_at_the_supplier(report, alice, carol):
    report(alice, visibility=Post.Visibility.PRIVATE)
    assert Notification.objects.count() == 0


def test_an_assignment_tells_the_assignee_only(report, committed, alice, carol, ivy):
    incident = report(alice)
    Notification.objects.all().delete()
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    assert told() == {("carol@initech.test", Kind.ASSIGNED)}


def test_an_incident_a_rule_gives_to_a_colleague_tells_that_colleague(
    report, alice, carol, ivy, initech
):
    RoutingRuleFactory(supplier=initech, assignees=[carol])
    incident = report(alice)
    assert Incident.objects.get(pk=incident.pk).assignee == carol
    # One notification: the new incident, to its assignee alone, saying it is hers.
    assert told() == {("carol@initech.test", Kind.NEW_INCIDENT)}
    assert Notification.objects.get().title.startswith("New incident, assigned to you: #")


def test_nobody_is_told_of_their_own_action(report, committed, alice, carol):
    incident = report(alice)
    Notification.objects.all().delete()
    committed(services.incident_assign, incident=incident, actor=carol, assignee=carol)
    assert Notification.objects.count() == 0


def test_new_evidence_tells_the_assignee_not_the_team(report, committed, alice, bob, carol, ivy):
    incident = report(alice)
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    Notification.objects.all().delete()
    assert report(bob).pk == incident.pk
    assert told() == {("carol@initech.test", Kind.NEW_EVIDENCE)}


def test_an_answer_tells_reporters_and_followers_who_may_read_it(
    report, committed, alice, bob, carol, acme
):
    incident = report(alice)
    committed(services.incident_follow, user=bob, incident=incident)
    Notification.objects.all().delete()
    committed(services.incident_respond, incident=incident, author=carol, body="Lot quarantined.")
    assert told() == {("alice@acme.test", Kind.ANSWER), ("bob@globex.test", Kind.ANSWER)}
    assert "Lot quarantined." in Notification.objects.get(recipient=bob).text


def test_a_private_answer_reaches_only_its_organization(report, committed, alice, bob, carol, acme):
    incident = report(alice, visibility=Post.Visibility.NAMED)
    committed(services.incident_follow, user=bob, incident=incident)
    Notification.objects.all().delete()
    committed(
        services.incident_respond,
        incident=incident,
        author=carol,
        body="Only for Acme: credit note 77.",
        organization=acme,
    )
    assert told() == {("alice@acme.test", Kind.ANSWER)}
    assert not Notification.objects.filter(text__contains="credit note").exclude(recipient=alice)


def test_resolving_tells_the_buyers_and_answering_tells_them_once(report, committed, alice, carol):
    incident = report(alice)
    Notification.objects.all().delete()
    committed(services.incident_respond, incident=incident, author=carol, body="On it.")
    assert told() == {("alice@acme.test", Kind.ANSWER)}
    committed(services.incident_resolve, incident=incident, actor=carol, note="Supplier fixed it")
    assert told(Kind.STATUS) == {("alice@acme.test", Kind.STATUS)}
    resolved = Notification.objects.get(kind=Kind.STATUS)
    assert resolved.title.startswith("Resolved: ")
    assert resolved.url == f"/incidents/{incident.pk}/"


def test_supplier_staff_are_linked_to_the_portal(report, alice, carol):
    incident = report(alice)
    assert Notification.objects.get(recipient=carol).url == f"/portal/incidents/{incident.pk}/"


def test_a_spike_tells_the_suppliers_acting_staff_and_its_buyers(
    report, committed, alice, bob, carol, ivy, dave, globex, initech, umbrella
):
    incident = report(alice)
    VendorCodeFactory(organization=globex, supplier=initech, code="V-1")
    VendorCodeFactory(organization=globex, supplier=umbrella, code="V-2")
    Notification.objects.all().delete()
    event = IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.SPIKE, data={"complaints_last_hour": 9}
    )
    generate_notifications([event.pk])
    assert told() == {
        ("carol@initech.test", Kind.SPIKE),
        ("ivy@initech.test", Kind.SPIKE),
        ("bob@globex.test", Kind.SUPPLIER_SPIKE),
        # The reporter follows the incident her report went into.
        ("alice@acme.test", Kind.SUPPLIER_SPIKE),
    }
    assert Notification.objects.get(recipient=bob).title.startswith("Spike at Initech Components")


def test_a_spike_tells_the_followers_of_the_suppliers_incidents(report, committed, alice, bob):
    incident = report(alice)
    committed(services.incident_follow, user=bob, incident=incident)
    Notification.objects.all().delete()
    other = IncidentEvent.objects.create(
        incident=report(alice, lot="L-7"), kind=IncidentEvent.Kind.SPIKE, data={}
    )
    assert other.incident_id != incident.pk
    generate_notifications([other.pk])
    assert ("bob@globex.test", Kind.SUPPLIER_SPIKE) in told()


def test_generating_twice_tells_each_person_once(report, alice, carol, ivy):
    incident = report(alice)
    created = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.CREATED)
    before = Notification.objects.count()
    notifications_generate(event_ids=[created.pk])
    generate_notifications([created.pk])
    assert Notification.objects.count() == before == 2
    assert len(mail.outbox) == 2


def test_the_sweep_generates_what_was_never_generated(report, alice, carol):
    incident = report(alice)
    Notification.objects.all().delete()
    GeneratedEvent.objects.all().delete()
    assert events_to_generate()
    sweep_notifications()
    assert told() == {("carol@initech.test", Kind.NEW_INCIDENT)}
    assert events_to_generate() == []
    sweep_notifications()
    assert Notification.objects.filter(incident=incident).count() == 1


def test_an_event_of_an_incident_the_buyer_cannot_see_reaches_no_buyer(alice, initech):
    incident = Incident.objects.create(supplier=initech, fingerprint="x", title="Nothing shared")
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.STATUS_CHANGED,
        data={"from": "new", "to": "resolved"},
    )
    assert event_recipients(event) == []


def test_the_anonymous_reporter_never_reaches_the_supplier(
    report, committed, alice, bob, carol, ivy
):
    """A scan of everything told to Initech's staff, and e-mailed to anyone but Acme, for Alice's
    name, address, organization and PO number."""
    incident = report(alice)
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    report(bob)
    committed(services.incident_respond, incident=incident, author=carol, body="Quarantined.")
    committed(services.incident_resolve, incident=incident, actor=carol)
    secrets = ["Alice", "alice@acme.test", "Acme", PO_NUMBER]
    supplier_side = Notification.objects.filter(recipient__membership__supplier__isnull=False)
    assert supplier_side.count() >= 4
    for row in supplier_side:
        for secret in secrets:
            assert secret not in f"{row.title} {row.text} {row.url}", (row.kind, secret)
    others = [message for message in mail.outbox if "alice@acme.test" not in message.to]
    assert others
    for message in others:
        html = message.alternatives[0][0]
        for secret in secrets:
            assert secret not in f"{message.subject} {message.body} {html}", secret


def test_a_failure_to_queue_notifications_does_not_fail_the_answer(
    report, committed, monkeypatch, alice, carol
):
    incident = report(alice)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(generate_notifications, "delay", broker_down)
    committed(services.incident_respond, incident=incident, author=carol, body="On it.")
    assert not Notification.objects.filter(kind=Kind.ANSWER).exists()
    monkeypatch.undo()
    sweep_notifications()
    assert told(Kind.ANSWER) == {("alice@acme.test", Kind.ANSWER)}


def test_a_rejected_resolution_tells_the_assignee_and_the_other_buyers(
    report, alice, bob, carol, ivy, committed
):
    incident = report(alice)
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    committed(services.incident_follow, user=bob, incident=incident)
    Notification.objects.all().delete()
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.STATUS_CHANGED,
        actor=alice,
        data={"from": "resolved", "to": "reopened"},
    )
    generate_notifications([event.pk])
    assert told() == {("carol@initech.test", Kind.NEW_INCIDENT), ("bob@globex.test", Kind.STATUS)}
    assert Notification.objects.get(recipient=carol).title.startswith("Reopened: ")


def test_an_anonymous_report_is_dated_to_the_hour_in_the_suppliers_inbox(
    report, client, alice, carol
):
    incident = report(alice)
    row = Notification.objects.get(recipient=carol)
    created = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.CREATED)
    assert row.shown_to_the_hour
    assert row.shown_at == created.created_at.replace(minute=0, second=0, microsecond=0)
    client.force_login(carol)
    page = client.get("/inbox/").content.decode()
    assert f"{row.shown_at:%H}:00–{row.shown_at:%H}:59" in page
    assert f"{created.created_at:%H:%M}" not in page or created.created_at.minute == 0


def test_a_named_report_and_the_suppliers_own_actions_keep_their_exact_time(
    report, committed, alice, carol, ivy
):
    incident = report(alice, visibility=Post.Visibility.NAMED)
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    for row in Notification.objects.filter(recipient=carol):
        assert not row.shown_to_the_hour
        assert row.shown_at == row.event.created_at
