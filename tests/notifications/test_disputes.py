"""A dispute of a buyer report tells the reporting organization (it decides), and a decision
tells whoever works on the incident at the supplier; nobody else, and never who the anonymous
reporter is."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Dispute
from notifications.models import Kind, Notification

from .test_buyer_replies import assert_nothing_names_acme, told

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed(report, committed, alice, bob, carol):
    incident = report(alice)
    services.incident_follow(incident=incident, user=bob)
    Notification.objects.all().delete()
    post = incident.matches.get().post
    return committed(
        services.dispute_open, post=post, incident=incident, actor=carol, reason="not_about_us"
    )


def test_the_reporting_organization_is_told_it_decides(disputed, alice):
    assert told() == {("alice@acme.test", Kind.DISPUTE)}
    row = Notification.objects.get()
    assert row.title.startswith("Initech Components disputes your report")
    assert "a report of your organization: not about it" in row.text


def test_a_decision_tells_the_suppliers_team_without_naming_the_reporter(
    disputed, committed, alice, carol, ivy
):
    Notification.objects.all().delete()

    committed(services.dispute_reject, dispute=disputed, actor=alice, note="It is yours.")

    assert told() == {
        ("carol@initech.test", Kind.DISPUTE_DECIDED),
        ("ivy@initech.test", Kind.DISPUTE_DECIDED),
    }
    row = Notification.objects.get(recipient=carol)
    assert row.title.startswith("Dispute rejected")
    assert "The reporting organization rejected" in row.text
    assert_nothing_names_acme()
    assert Dispute.objects.get().status == "rejected"
