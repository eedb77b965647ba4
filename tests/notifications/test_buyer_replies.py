"""A buyer's reply and a rejected resolution tell whoever works on the incident at the supplier,
once, in their own kinds, and never who the anonymous reporter is (inbox rows, e-mail subjects and
bodies alike)."""

from __future__ import annotations

import pytest
from django.core import mail

from incidents import services
from incidents.models import Incident
from notifications.models import Kind, Notification

from .conftest import PO_NUMBER

pytestmark = pytest.mark.django_db

# What would name Acme's anonymous reporter to Initech.
ACME_IDENTITY = ("acme", "alice", PO_NUMBER.lower())


def told(kind=None) -> set[tuple[str, str]]:
    rows = Notification.objects.all()
    if kind is not None:
        rows = rows.filter(kind=kind)
    return {(row.recipient.email, row.kind) for row in rows}


def assert_nothing_names_acme() -> None:
    texts = [
        f"{row.title} {row.text}"
        for row in Notification.objects.filter(recipient__membership__supplier__isnull=False)
    ]
    texts += [f"{message.subject} {message.body}" for message in mail.outbox]
    texts += [
        str(alternative[0])
        for message in mail.outbox
        for alternative in getattr(message, "alternatives", [])
    ]
    for text in texts:
        assert not any(name in text.lower() for name in ACME_IDENTITY), text


@pytest.fixture
def resolved(report, committed, alice, carol):
    incident = report(alice)
    committed(services.incident_resolve, incident=incident, actor=carol, note="Replaced.")
    Notification.objects.all().delete()
    mail.outbox.clear()
    return Incident.objects.get(pk=incident.pk)


def test_a_reply_tells_the_team_when_nobody_is_assigned(resolved, committed, alice, carol, ivy):
    committed(services.incident_reply, incident=resolved, author=alice, body="Still cracked.")
    assert told() == {
        ("carol@initech.test", Kind.BUYER_REPLY),
        ("ivy@initech.test", Kind.BUYER_REPLY),
    }
    row = Notification.objects.get(recipient=carol)
    assert "Still cracked." in row.text and row.title.startswith("A reporting buyer replied")
    assert_nothing_names_acme()


def test_a_reply_tells_the_assignee_only(report, committed, alice, carol, ivy):
    incident = report(alice)
    committed(services.incident_assign, incident=incident, actor=ivy, assignee=carol)
    Notification.objects.all().delete()
    committed(services.incident_reply, incident=incident, author=alice, body="Any news?")
    assert told() == {("carol@initech.test", Kind.BUYER_REPLY)}
    assert_nothing_names_acme()


def test_a_reply_tells_no_other_buyer(resolved, committed, alice, bob, carol):
    committed(services.incident_follow, incident=resolved, user=bob)
    committed(services.incident_reply, incident=resolved, author=alice, body="Still cracked.")
    assert not Notification.objects.filter(recipient=bob).exists()


def test_a_rejection_tells_the_supplier_with_the_reason_and_the_buyers_without(
    resolved, committed, alice, bob, carol, ivy
):
    committed(services.incident_follow, incident=resolved, user=bob)
    committed(
        services.incident_reject_resolution, incident=resolved, actor=alice, reason="Same crack."
    )
    assert told(Kind.RESOLUTION_REJECTED) == {
        ("carol@initech.test", Kind.RESOLUTION_REJECTED),
        ("ivy@initech.test", Kind.RESOLUTION_REJECTED),
    }
    told_carol = Notification.objects.get(recipient=carol).text
    assert "Same crack." in told_carol
    # Who rejected is said once, in the sentence, not again as "By a reporting organization."
    assert told_carol.lower().count("a reporting organization") == 1, told_carol
    follower = Notification.objects.get(recipient=bob)
    assert follower.kind == Kind.STATUS and "Same crack." not in follower.text
    assert "rejected the resolution" in follower.text
    assert_nothing_names_acme()
