"""The buyer answers back: members of an organization that reported an incident reply to the
supplier, accept a resolution or reject it with a reason (which reopens the incident). An
anonymous reporter stays anonymous to the supplier in every reply, sentence and reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import selectors, services
from incidents.models import Incident, IncidentEvent, Post, Reply
from incidents.presenters import reply_view, timeline_entry
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerMembershipFactory,
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
)

pytestmark = pytest.mark.django_db

# What would tell Initech that Acme (alice) wrote: never in what its staff read.
ACME_IDENTITY = ("acme", "alice")


@pytest.fixture
def incident(initech, acme, globex, alice, bob) -> Incident:
    """Acme reported it anonymously, Globex by name."""
    incident = IncidentFactory(supplier=initech, post_count=2, status=Incident.Status.RESOLVED)
    incident.resolved_at = timezone.now()
    incident.save()
    for organization, author, visibility in (
        (acme, alice, Post.Visibility.ANONYMOUS),
        (globex, bob, Post.Visibility.NAMED),
    ):
        post = BuyerPostFactory(
            organization=organization, author=author, supplier=initech, visibility=visibility
        )
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    return incident


def shown(text: object) -> str:
    return repr(text).lower()


def test_a_reporting_organizations_member_replies_to_the_supplier(incident, alice):
    reply = services.incident_reply(incident=incident, author=alice, body="Still cracked.")
    assert reply.organization.slug == "acme" and not reply.named
    event = IncidentEvent.objects.get(kind=IncidentEvent.Kind.BUYER_REPLY)
    assert event.data["reply_id"] == reply.pk


def test_a_colleague_of_the_reporter_may_reply_too(incident, acme):
    colleague = BuyerMembershipFactory(organization=acme).user
    services.incident_reply(incident=incident, author=colleague, body="Same here.")
    assert Reply.objects.filter(organization=acme).count() == 1


def test_an_organization_with_only_a_private_report_cannot_reply(incident, initech):
    outsider = BuyerMembershipFactory().user
    post = BuyerPostFactory(
        organization=outsider.membership.organization,
        author=outsider,
        supplier=initech,
        visibility=Post.Visibility.PRIVATE,
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    with pytest.raises(ApplicationError) as refused:
        services.incident_reply(incident=incident, author=outsider, body="Hello")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("persona", ["carol", "operator", "newcomer"])
def test_who_did_not_report_cannot_reply_accept_or_reject(incident, persona, request):
    user = request.getfixturevalue(persona)
    for attempt in (
        lambda: services.incident_reply(incident=incident, author=user, body="Hi"),
        lambda: services.incident_accept_resolution(incident=incident, actor=user),
        lambda: services.incident_reject_resolution(incident=incident, actor=user, reason="No"),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == "forbidden"
    assert not Reply.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED


def test_a_reply_needs_words(incident, alice):
    with pytest.raises(ApplicationError) as refused:
        services.incident_reply(incident=incident, author=alice, body="   ")
    assert refused.value.field == "body"


def test_a_closed_incident_takes_no_replies(incident, alice):
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.CLOSED)
    with pytest.raises(ApplicationError) as refused:
        services.incident_reply(incident=incident, author=alice, body="Hello?")
    assert refused.value.code == "conflict"


def test_the_supplier_reads_an_anonymous_reporters_reply_without_who_wrote_it(
    incident, alice, carol
):
    services.incident_reply(incident=incident, author=alice, body="Still cracked.")
    [reply] = selectors.incident_replies(viewer=carol.viewer, incident=incident)
    view = reply_view(reply, carol.viewer)
    assert view.body == "Still cracked." and view.organization is None and view.author is None
    entries = [
        timeline_entry(event, carol.viewer, "Initech")
        for event in selectors.incident_timeline(viewer=carol.viewer, incident=incident)
    ]
    assert "A reporting organization replied to Initech." in [entry.text for entry in entries]
    assert not any(name in shown((view, entries)) for name in ACME_IDENTITY)


def test_the_supplier_reads_which_organization_replied_when_it_reported_by_name(
    incident, bob, carol
):
    services.incident_reply(incident=incident, author=bob, body="Lot L7 again.")
    [reply] = selectors.incident_replies(viewer=carol.viewer, incident=incident)
    view = reply_view(reply, carol.viewer)
    assert view.organization is not None and view.organization.slug == "globex"
    assert view.author is None


def test_a_reply_is_read_by_its_own_organization_but_not_by_other_buyers(incident, alice, bob):
    services.incident_reply(incident=incident, author=alice, body="Still cracked.")
    [own] = selectors.incident_replies(viewer=alice.viewer, incident=incident)
    assert reply_view(own, alice.viewer).is_own
    assert not selectors.incident_replies(viewer=bob.viewer, incident=incident).exists()
    kinds = selectors.incident_timeline(viewer=bob.viewer, incident=incident).values_list(
        "kind", flat=True
    )
    assert IncidentEvent.Kind.BUYER_REPLY not in kinds


def test_another_supplier_reads_no_reply(incident, alice, dave):
    services.incident_reply(incident=incident, author=alice, body="Still cracked.")
    assert not Reply.objects.visible_to(dave).exists()


def test_accepting_a_resolution_records_it_once_and_keeps_it_resolved(incident, alice):
    services.incident_accept_resolution(incident=incident, actor=alice)
    services.incident_accept_resolution(incident=incident, actor=alice)
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED
    accepted = IncidentEvent.objects.filter(kind=IncidentEvent.Kind.RESOLUTION_ACCEPTED)
    assert accepted.count() == 1


def test_rejecting_a_resolution_reopens_the_incident_with_fresh_sla(incident, alice):
    before = timezone.now()
    services.incident_reject_resolution(incident=incident, actor=alice, reason="Same crack.")
    reopened = Incident.objects.get(pk=incident.pk)
    assert reopened.status == Incident.Status.REOPENED
    assert reopened.reopened_count == 1 and reopened.resolved_at is None
    assert reopened.acknowledged_at is None
    assert reopened.acknowledge_due_at is not None and reopened.acknowledge_due_at > before
    assert reopened.resolve_due_at is not None
    assert reopened.resolve_due_at > before + timedelta(days=1)


def test_a_rejection_needs_a_reason(incident, alice):
    with pytest.raises(ApplicationError) as refused:
        services.incident_reject_resolution(incident=incident, actor=alice, reason="")
    assert refused.value.field == "reason"
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED


@pytest.mark.parametrize("status", [Incident.Status.NEW, Incident.Status.CLOSED])
def test_only_a_resolved_incidents_resolution_is_accepted_or_rejected(incident, alice, status):
    Incident.objects.filter(pk=incident.pk).update(status=status)
    for attempt in (
        lambda: services.incident_accept_resolution(incident=incident, actor=alice),
        lambda: services.incident_reject_resolution(incident=incident, actor=alice, reason="x"),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == "conflict"


def test_the_supplier_reads_a_rejections_reason_without_who_rejected(incident, alice, carol):
    services.incident_reject_resolution(incident=incident, actor=alice, reason="Same crack.")
    entries = [
        timeline_entry(event, carol.viewer, "Initech")
        for event in selectors.incident_timeline(viewer=carol.viewer, incident=incident)
    ]
    [rejection] = [entry for entry in entries if entry.note == "Same crack."]
    assert (
        rejection.text
        == "A reporting organization rejected the resolution; the incident is open again."
    )
    assert rejection.actor == "a reporting organization"
    assert not any(name in shown(entries) for name in ACME_IDENTITY)


def test_other_buyers_see_the_reopening_but_not_the_reason(incident, alice, bob):
    services.incident_reject_resolution(incident=incident, actor=alice, reason="Same crack.")
    entries = [
        timeline_entry(event, bob.viewer, "Initech")
        for event in selectors.incident_timeline(viewer=bob.viewer, incident=incident)
    ]
    [rejection] = [entry for entry in entries if "rejected" in entry.text]
    assert rejection.note == "" and "Same crack." not in shown(entries)
