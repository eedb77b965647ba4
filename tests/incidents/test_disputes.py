"""Disputes: a supplier's "not a complaint" or "not about us" never removes evidence on its own
word. The evidence stays counted and visible, marked as disputed, until an operator (or, for a
buyer report, the reporting organization) accepts; a rejected dispute leaves it where it is."""

from __future__ import annotations

from itertools import count

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Dispute, Incident, IncidentEvent, Post, PostMatch
from incidents.presenters import evidence_reference, evidence_view, timeline_entry
from incidents.selectors import incident_evidence, incident_timeline
from suppliers.models import Membership, SupplierAlias
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierAliasFactory, SupplierMembershipFactory

pytestmark = pytest.mark.django_db

_ids = count()
BROKEN = "@initech the parts arrived broken and defective, terrible and unacceptable"


@pytest.fixture
def handles(initech, umbrella) -> None:
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrellapack")


@pytest.fixture
def publish(django_capture_on_commit_callbacks, handles):
    def _publish(*texts: str) -> list[Post]:
        rows = [
            {"external_id": f"pub-{next(_ids)}", "text": text, "author_handle": f"u{next(_ids)}"}
            for text in texts
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(source="twitter", rows=rows)
        return list(Post.objects.filter(pk__in=result.post_ids).order_by("pk"))

    return _publish


@pytest.fixture
def report(alice, initech, on_commit) -> Post:
    """Acme's anonymous report about Initech, grouped into an incident."""
    return on_commit(
        services.post_report,
        author=alice,
        supplier=initech,
        text="Lot 42 of the brackets arrived cracked",
        lot="L42",
    )


def incident_of(post: Post) -> Incident | None:
    match = PostMatch.objects.filter(post=post, incident__isnull=False).first()
    return match.incident if match else None


@pytest.fixture
def tweets(publish) -> list[Post]:
    return publish(BROKEN, BROKEN + "!", BROKEN + "!!")


def test_a_dispute_keeps_the_evidence_counted_and_marks_it(tweets, carol, initech):
    first = tweets[0]
    incident = incident_of(first)

    dispute = services.dispute_open(
        post=first, incident=incident, actor=carol, reason="not_complaint", note="A joke."
    )

    incident.refresh_from_db()
    assert incident.post_count == 3
    assert incident_of(first) == incident
    assert (dispute.status, dispute.supplier, dispute.opened_by) == ("open", initech, carol)
    shown = {
        view.id: view
        for view in (
            evidence_view(post, carol.viewer)
            for post in incident_evidence(viewer=carol.viewer, incident=incident)
        )
    }
    assert shown[first.pk].dispute.status == "open"
    assert shown[first.pk].dispute.note == "A joke."
    assert shown[tweets[1].pk].dispute is None


def test_an_accepted_dispute_of_a_public_post_removes_it_and_teaches_the_model(
    tweets, carol, operator, on_commit
):
    first = tweets[0]
    incident = incident_of(first)
    dispute = services.dispute_open(
        post=first, incident=incident, actor=carol, reason="not_complaint"
    )

    on_commit(services.dispute_accept, dispute=dispute, actor=operator)

    incident.refresh_from_db()
    first.refresh_from_db()
    assert incident.post_count == 2
    assert incident_of(first) is None
    # An operator's correction, as if made directly: a training example from now on.
    assert (first.label_is_complaint, first.labelled_by) == (False, operator)
    assert f"twitter:{first.external_id}" in {e.key for e in services.labelled_examples()}
    assert IncidentEvent.objects.filter(
        incident=incident, kind=IncidentEvent.Kind.DISPUTE_ACCEPTED
    ).exists()


def test_a_rejected_dispute_leaves_the_evidence_where_it_is(tweets, carol, operator, on_commit):
    first = tweets[0]
    incident = incident_of(first)
    dispute = services.dispute_open(
        post=first, incident=incident, actor=carol, reason="not_complaint"
    )

    dispute = on_commit(
        services.dispute_reject, dispute=dispute, actor=operator, note="A complaint"
    )

    incident.refresh_from_db()
    assert incident.post_count == 3
    assert incident_of(first) == incident
    assert (dispute.status, dispute.decided_by, dispute.decision_note) == (
        "rejected",
        operator,
        "A complaint",
    )
    first.refresh_from_db()
    assert first.label_is_complaint is None


def test_an_accepted_not_about_us_stays_out_when_the_post_is_processed_again(
    tweets, carol, operator, on_commit
):
    first = tweets[0]
    incident = incident_of(first)
    dispute = services.dispute_open(
        post=first, incident=incident, actor=carol, reason="not_about_us"
    )
    on_commit(services.dispute_accept, dispute=dispute, actor=operator)
    assert incident_of(first) is None

    # Reprocessing (a correction, a sweep) does not bring it back to Initech.
    Post.objects.filter(pk=first.pk).update(status=Post.Status.PENDING)
    services.posts_process(post_ids=[first.pk])

    assert incident_of(first) is None
    assert not PostMatch.objects.filter(post=first, supplier=incident.supplier).exists()
    incident.refresh_from_db()
    assert incident.post_count == 2


def test_supplier_staff_can_no_longer_remove_a_post_themselves(tweets, carol):
    with pytest.raises(ApplicationError) as refused:
        services.post_relabel(post=tweets[0], actor=carol, is_complaint=False)

    assert refused.value.code == "forbidden"
    assert incident_of(tweets[0]).post_count == 3


def test_operators_still_correct_directly(tweets, operator, on_commit):
    on_commit(services.post_relabel, post=tweets[0], actor=operator, is_complaint=False)

    assert incident_of(tweets[1]).post_count == 2
    assert not Dispute.objects.exists()


# --- who disputes, who decides -------------------------------------------------------------------


@pytest.fixture
def initech_viewer(initech):
    return SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user


@pytest.mark.parametrize("who", ["dave", "initech_viewer", "alice", "bob"])
def test_only_the_suppliers_responders_dispute(request, tweets, who):
    incident = incident_of(tweets[0])

    with pytest.raises(ApplicationError) as refused:
        services.dispute_open(
            post=tweets[0],
            incident=incident,
            actor=request.getfixturevalue(who),
            reason="not_complaint",
        )

    assert refused.value.code == "forbidden"
    assert not Dispute.objects.exists()


def test_a_public_posts_dispute_is_decided_by_operators_only(tweets, carol, alice, bob):
    dispute = services.dispute_open(
        post=tweets[0], incident=incident_of(tweets[0]), actor=carol, reason="not_complaint"
    )

    for actor in (carol, alice, bob):
        with pytest.raises(ApplicationError, match="Only operators"):
            services.dispute_accept(dispute=dispute, actor=actor)
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_the_reporting_organization_decides_a_dispute_of_its_report(
    report, carol, alice, bob, on_commit
):
    incident = incident_of(report)
    dispute = services.dispute_open(
        post=report, incident=incident, actor=carol, reason="not_about_us"
    )
    with pytest.raises(ApplicationError, match="Only operators"):
        services.dispute_accept(dispute=dispute, actor=bob)  # another buyer

    on_commit(services.dispute_accept, dispute=dispute, actor=alice)

    incident.refresh_from_db()
    assert incident_of(report) is None
    assert incident.post_count == 0
    event = IncidentEvent.objects.get(kind=IncidentEvent.Kind.DISPUTE_ACCEPTED)
    assert event.data["decided_by"] == "reporter"


def test_a_dispute_is_decided_once(tweets, carol, operator):
    dispute = services.dispute_open(
        post=tweets[0], incident=incident_of(tweets[0]), actor=carol, reason="not_complaint"
    )
    services.dispute_reject(dispute=dispute, actor=operator)

    # The same decision again changes nothing; the other one is refused.
    services.dispute_reject(dispute=dispute, actor=operator)
    with pytest.raises(ApplicationError) as refused:
        services.dispute_accept(dispute=dispute, actor=operator)
    assert refused.value.code == "conflict"
    # And the supplier cannot dispute the same evidence over again.
    with pytest.raises(ApplicationError, match="disputed already"):
        services.dispute_open(
            post=tweets[0], incident=incident_of(tweets[0]), actor=carol, reason="not_about_us"
        )


# --- the timeline, and anonymity ------------------------------------------------------------------


def sentences(incident: Incident, who) -> list[str]:
    viewer = who.viewer
    return [
        timeline_entry(event, viewer, incident.supplier.name).text
        for event in incident_timeline(viewer=viewer, incident=incident)
        if event.kind in IncidentEvent.DISPUTE_KINDS
    ]


def test_buyers_read_the_dispute_on_the_timeline(tweets, carol, bob, operator):
    incident = incident_of(tweets[0])
    dispute = services.dispute_open(
        post=tweets[0], incident=incident, actor=carol, reason="not_complaint"
    )
    services.dispute_reject(dispute=dispute, actor=operator)

    assert sentences(incident, bob) == [
        "An operator rejected the dispute of a public post; it stays counted against Initech "
        "Components.",
        "Initech Components disputes a public post: not a complaint. It stays counted until "
        "the dispute is decided.",
    ]


def test_a_dispute_of_an_anonymous_report_never_names_its_reporter(report, carol, alice, bob):
    incident = incident_of(report)
    services.dispute_open(post=report, incident=incident, actor=carol, reason="not_complaint")

    assert sentences(incident, alice) == [
        "Initech Components disputes a report of your organization: not a complaint. It stays "
        "counted until the dispute is decided."
    ]
    for who in (bob, carol):
        (text,) = sentences(incident, who)
        assert "a buyer report" in text
        assert "Acme" not in text and "alice" not in text.lower()
    # The evidence shown to the supplier still carries no id and no reporter.
    (post,) = incident_evidence(viewer=carol.viewer, incident=incident)
    view = evidence_view(post, carol.viewer)
    assert (view.id, view.reporter) == (None, None)
    assert view.dispute.status == "open"
    assert view.reference and str(report.pk) != view.reference


def test_the_supplier_names_evidence_by_a_reference_that_is_its_own(report, carol, dave):
    assert evidence_reference(report, carol.viewer) != evidence_reference(report, dave.viewer)
    assert evidence_reference(report, report.author.viewer) == ""


# --- the pages --------------------------------------------------------------------------------------


def test_a_responder_disputes_evidence_from_the_portal(client, carol, report):
    incident = incident_of(report)
    client.force_login(carol)
    page = client.get(reverse("portal-incident", args=[incident.pk]))
    reference = evidence_reference(report, carol.viewer)
    assert reference.encode() in page.content

    response = client.post(
        reverse("portal-dispute", args=[incident.pk]),
        {"evidence": reference, "reason": "not_about_us", "note": "We do not make brackets."},
    )

    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert (dispute.post, dispute.reason, dispute.status) == (report, "not_about_us", "open")
    page = client.get(reverse("portal-incident", args=[incident.pk]))
    assert b"Disputed by the supplier" in page.content


def test_an_unknown_reference_disputes_nothing(client, carol, report):
    client.force_login(carol)

    response = client.post(
        reverse("portal-dispute", args=[incident_of(report).pk]),
        {"evidence": "0" * 24, "reason": "not_complaint"},
        follow=True,
    )

    assert b"No such evidence" in response.content
    assert not Dispute.objects.exists()


def test_a_viewer_of_the_supplier_cannot_dispute(client, initech_viewer, report):
    client.force_login(initech_viewer)
    response = client.post(
        reverse("portal-dispute", args=[incident_of(report).pk]),
        {"evidence": evidence_reference(report, initech_viewer.viewer), "reason": "not_complaint"},
    )
    assert response.status_code == 403


def test_the_reporting_organization_decides_on_its_incident_page(
    client, carol, alice, bob, report, django_capture_on_commit_callbacks
):
    incident = incident_of(report)
    dispute = services.dispute_open(
        post=report, incident=incident, actor=carol, reason="not_complaint", note="A question."
    )
    url = reverse("dispute-decide", args=[incident.pk, dispute.pk])

    client.force_login(bob)  # another buyer: sees the incident, not the decision
    assert (
        b"Disputes for you to decide"
        not in client.get(reverse("incident-detail", args=[incident.pk])).content
    )
    assert client.post(url, {"decision": "accept"}).status_code == 404

    client.force_login(alice)
    page = client.get(reverse("incident-detail", args=[incident.pk]))
    assert b"Disputes for you to decide (1)" in page.content
    assert b"A question." in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "accept", "note": "Right, a question."})

    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.decided_by) == ("accepted", alice)
    report.refresh_from_db()
    assert report.label_is_complaint is False  # the next model learns it is no complaint
    assert incident_of(report) is None


# --- the operators' queue -----------------------------------------------------------------------------


def test_operators_decide_in_the_admins_queue_of_open_disputes(
    op, tweets, carol, django_capture_on_commit_callbacks
):
    incident = incident_of(tweets[0])
    first, second, third = (
        services.dispute_open(post=post, incident=incident, actor=carol, reason="not_complaint")
        for post in tweets
    )
    url = reverse("admin:incidents_dispute_changelist")

    queue = op.get(url)
    assert queue.status_code == 200
    assert queue.context["cl"].result_count == 3  # the open ones, by default

    with django_capture_on_commit_callbacks(execute=True):
        op.post(url, {"action": "accept", "_selected_action": [first.pk]})
        op.post(url, {"action": "reject", "_selected_action": [second.pk]})

    statuses = dict(Dispute.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "accepted", second.pk: "rejected", third.pk: "open"}
    assert op.get(url).context["cl"].result_count == 1
    assert op.get(url, {"decision": "all"}).context["cl"].result_count == 3
    incident.refresh_from_db()
    assert incident.post_count == 2


def test_nobody_but_operators_reaches_the_queue(client, carol, alice):
    for person in (carol, alice):
        client.force_login(person)
        response = client.get(reverse("admin:incidents_dispute_changelist"))
        assert response.status_code == 302  # to the admin's login
