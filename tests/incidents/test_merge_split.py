"""Merge and split: two incidents that are one problem become one, evidence that is another problem
goes into a new incident; both survive the pipeline, are told on the timelines, counted again,
notified and sent to webhooks; only the supplier's responders and admins (and operators) do it."""

from __future__ import annotations

from itertools import count

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Incident, IncidentEvent, Post, PostMatch
from incidents.presenters import evidence_reference, timeline_entry
from incidents.selectors import incident_timeline
from incidents.services.processing import incidents_recount
from integrations.models import WebhookSubscription
from integrations.services import webhook_events_dispatch
from notifications.models import Notification
from suppliers.models import Membership
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierMembershipFactory

pytestmark = pytest.mark.django_db

_ids = count()
COUNTERS = (
    "post_count",
    "public_post_count",
    "named_post_count",
    "reporter_count",
    "organization_count",
    "public_author_count",
    "named_organization_count",
    "first_seen_at",
    "last_seen_at",
)


@pytest.fixture
def report(initech, on_commit):
    def _report(author, lot: str, text: str = "The brackets arrived cracked", **extra) -> Post:
        return on_commit(
            services.post_report, author=author, supplier=initech, text=text, lot=lot, **extra
        )

    return _report


def incident_of(post: Post) -> Incident:
    return PostMatch.objects.get(post=post, incident__isnull=False).incident


def counters(incident: Incident) -> tuple:
    incident.refresh_from_db()
    return tuple(getattr(incident, name) for name in COUNTERS)


def recounted(incident: Incident) -> tuple:
    incidents_recount(incident_ids=[incident.pk])
    return counters(incident)


def reprocess(*posts: Post) -> None:
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(status=Post.Status.PENDING)
    services.posts_process(post_ids=[p.pk for p in posts])


@pytest.fixture
def two(alice, bob, report):
    """Acme's report of lot L42 and Globex's of lot L77: one problem in two incidents."""
    first, second = report(alice, "L42"), report(bob, "L77", visibility=Post.Visibility.NAMED)
    assert incident_of(first) != incident_of(second)
    return first, second


@pytest.fixture
def initech_viewer(initech):
    return SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user


# --- merge ---------------------------------------------------------------------------------------


def test_merging_moves_the_evidence_and_the_counters_equal_a_recount(two, carol, on_commit):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    answer = services.incident_respond(incident=source, author=carol, body="We replace lot L42.")

    merged = on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)

    assert merged == target
    assert incident_of(first) == target
    source.refresh_from_db()
    assert source.merged_into == target and source.status == Incident.Status.CLOSED
    assert counters(target)[:1] == (2,) and counters(source)[:1] == (0,)
    assert counters(target) == recounted(target)
    assert counters(source) == recounted(source)
    assert target.organization_count == 2
    assert list(target.responses.all()) == [answer]


def test_a_merge_is_on_both_timelines_without_naming_an_anonymous_reporter(
    two, carol, bob, on_commit
):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)

    assert IncidentEvent.objects.filter(incident=source, kind="merged_into").exists()
    events = incident_timeline(viewer=bob.viewer, incident=target)
    merged = [timeline_entry(e, bob.viewer, "Initech") for e in events if e.kind == "merged"]
    assert [entry.text for entry in merged] == [
        f"Incident #{source.pk} was merged into this one: its 1 piece of evidence moved here."
    ]
    assert "Acme" not in merged[0].text and "Alice" not in merged[0].text
    # The anonymous report it brought is dated to the hour for those who may not know whose.
    assert merged[0].when_to_the_hour and not merged[0].actor


def test_new_evidence_for_a_merged_incident_lands_on_its_target(
    two, carol, alice, report, on_commit
):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)

    again = report(alice, "L42")

    assert incident_of(again) == target
    assert counters(target)[0] == 3 == recounted(target)[0]
    assert not Incident.objects.filter(fingerprint=source.fingerprint).exclude(pk=source.pk)


def test_a_lot_merged_into_a_resolved_incident_reopens_it_as_a_regression(
    two, carol, alice, report, on_commit
):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    services.incident_resolve(incident=target, actor=carol)

    again = report(alice, "L42")

    target.refresh_from_db()
    assert incident_of(again) == target and target.is_open
    assert IncidentEvent.objects.filter(incident=target, kind="reopened").exists()
    # A private report alone would tell everyone of itself by reopening: it opens its own.
    services.incident_resolve(incident=target, actor=carol)
    private = report(alice, "L42", visibility=Post.Visibility.PRIVATE)
    assert incident_of(private) not in (target, source)


def test_merging_a_target_takes_what_was_merged_into_it_along(alice, bob, carol, report, on_commit):
    a, b, c = report(alice, "L1"), report(bob, "L2"), report(bob, "L3")
    first, second, third = incident_of(a), incident_of(b), incident_of(c)
    on_commit(services.incident_merge, source=first, target_id=second.pk, actor=carol)
    on_commit(services.incident_merge, source=second, target_id=third.pk, actor=carol)

    first.refresh_from_db()
    assert first.merged_into == third
    assert incident_of(report(alice, "L1")) == third


def test_merge_and_split_survive_reprocessing(alice, bob, carol, report, on_commit):
    first, second = report(alice, "L42"), report(bob, "L77")
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    # Two reports of one lot: grouping alone would put them together.
    third, fourth = report(alice, "L88"), report(bob, "L88")
    lot = incident_of(third)
    new = on_commit(services.incident_split, incident=lot, posts=[fourth], actor=carol)

    reprocess(first, second, third, fourth)

    assert incident_of(first) == incident_of(second) == target
    assert incident_of(fourth) == new and incident_of(third) == lot
    for incident in (target, new, lot):
        assert counters(incident) == recounted(incident)


def test_splitting_moves_the_chosen_evidence_into_a_new_titled_incident(
    alice, bob, carol, report, on_commit
):
    kept = report(alice, "L88", "Lot L88 brackets cracked")
    moved = report(bob, "L88", "Lot L88 brackets cracked", visibility=Post.Visibility.NAMED)
    incident = incident_of(kept)

    new = on_commit(services.incident_split, incident=incident, posts=[moved], actor=carol)

    assert new.pk != incident.pk and new.supplier_id == incident.supplier_id
    assert incident_of(moved) == new and incident_of(kept) == incident
    assert new.is_open and new.title and new.title != "Complaint"
    assert counters(new)[0] == 1 == counters(incident)[0]
    assert counters(new) == recounted(new) and counters(incident) == recounted(incident)
    split = IncidentEvent.objects.get(incident=incident, kind="split")
    split_from = IncidentEvent.objects.get(incident=new, kind="split_from")
    assert split.data["other_id"] == new.pk and split_from.data["other_id"] == incident.pk
    # New evidence of the lot still joins the incident the lot's reports stayed in.
    assert incident_of(report(alice, "L88", "Lot L88 brackets cracked")) == incident


# --- refusals ------------------------------------------------------------------------------------


def _refusal(write, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        write(**kwargs)
    return refused.value


def test_merge_refuses_itself_another_suppliers_incident_and_a_merged_one(
    two, carol, dave, on_commit
):
    from tests.factories import IncidentFactory

    first, second = two
    source, target = incident_of(first), incident_of(second)
    elsewhere = IncidentFactory(supplier=dave.membership.supplier, post_count=1)

    itself = _refusal(services.incident_merge, source=source, target_id=source.pk, actor=carol)
    other = _refusal(services.incident_merge, source=source, target_id=elsewhere.pk, actor=carol)
    missing = _refusal(services.incident_merge, source=source, target_id=10**9, actor=carol)
    assert (itself.field, other.field, missing.field) == ("target", "target", "target")
    # Another supplier's incident and a missing one read the same: ids cannot be probed.
    assert other.message == missing.message

    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    source.refresh_from_db()
    again = _refusal(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    into_merged = _refusal(services.incident_merge, source=target, target_id=source.pk, actor=carol)
    assert (again.field, into_merged.field) == ("incident", "target")
    assert incident_of(first) == target


def test_split_refuses_no_evidence_all_of_it_and_evidence_of_another_incident(two, carol):
    first, second = two
    incident = incident_of(first)

    none = _refusal(services.incident_split, incident=incident, posts=[], actor=carol)
    everything = _refusal(services.incident_split, incident=incident, posts=[first], actor=carol)
    foreign = _refusal(services.incident_split, incident=incident, posts=[second], actor=carol)

    assert {none.field, everything.field, foreign.field} == {"evidence"}
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("who", ["alice", "initech_viewer", "dave"])
def test_buyers_viewers_and_other_suppliers_neither_merge_nor_split(request, two, who):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    actor = request.getfixturevalue(who)

    merge = _refusal(services.incident_merge, source=source, target_id=target.pk, actor=actor)
    split = _refusal(services.incident_split, incident=source, posts=[first], actor=actor)

    assert merge.code == split.code == "forbidden"
    assert incident_of(first) == source


def test_operators_merge_too(two, operator, on_commit):
    first, second = two
    target = incident_of(second)
    on_commit(
        services.incident_merge, source=incident_of(first), target_id=target.pk, actor=operator
    )
    assert incident_of(first) == target


# --- notifications and webhooks -----------------------------------------------------------------


def test_the_followers_of_both_incidents_and_the_team_are_told(
    two, carol, ivy, alice, bob, on_commit
):
    first, second = two
    source, target = incident_of(first), incident_of(second)

    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)

    told = Notification.objects.filter(kind="merged", incident=target)
    assert set(told.values_list("recipient__email", flat=True)) == {
        alice.email,  # followed the merged incident (her report's), follows the target now
        bob.email,  # followed the target
        ivy.email,  # Initech's team, nobody assigned; carol did it and is not told
    }
    assert source.follows.filter(user=alice).exists()
    assert target.follows.filter(user=alice).exists()
    for note in told.filter(recipient=bob):
        assert "Acme" not in note.text and "Alice" not in note.text


def test_a_split_tells_the_followers_and_gives_the_team_a_new_incident(
    alice, bob, carol, ivy, report, on_commit
):
    kept, moved = report(alice, "L5"), report(bob, "L5")
    incident = incident_of(kept)

    new = on_commit(services.incident_split, incident=incident, posts=[moved], actor=carol)

    split = Notification.objects.filter(kind="merged", incident=incident)
    assert set(split.values_list("recipient__email", flat=True)) == {
        alice.email,
        bob.email,
        ivy.email,
    }
    (told,) = Notification.objects.filter(kind="new_incident", incident=new)
    assert told.recipient == ivy and told.title.startswith("New incident, split out")
    # Bob's report is in the new incident; he hears of it there too.
    assert Notification.objects.filter(kind="merged", incident=new, recipient=bob).exists()


def test_merge_and_split_go_to_the_webhooks(two, carol, acme, initech, on_commit, report, bob):
    first, second = two
    subscription = WebhookSubscription.objects.create(
        organization=acme,
        url="https://hooks.example/in",
        secret="whsec_test",
        events=["incident.merged", "incident.split"],
    )
    supplier_hook = WebhookSubscription.objects.create(
        supplier=initech,
        url="https://hooks.example/qms",
        secret="whsec_test",
        events=["incident.merged", "incident.split"],
    )
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    extra = report(bob, "L77")
    on_commit(services.incident_split, incident=target, posts=[extra], actor=carol)

    webhook_events_dispatch()

    def received(hook):
        return sorted(
            (d.event_type, d.payload["data"]["change"]["kind"]) for d in hook.deliveries.all()
        )

    expected = [
        ("incident.merged", "merged"),
        ("incident.split", "split"),
        ("incident.split", "split_from"),
    ]
    assert received(subscription) == received(supplier_hook) == expected
    merged = subscription.deliveries.get(event_type="incident.merged")
    assert merged.payload["data"]["change"]["merged_incident_id"] == source.pk
    assert merged.payload["data"]["incident"]["id"] == target.pk


# --- pages ---------------------------------------------------------------------------------------


def test_the_merged_incidents_pages_lead_to_its_target(two, carol, bob, client, on_commit):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)

    client.force_login(bob)
    assert client.get(f"/incidents/{source.pk}/").url == f"/incidents/{target.pk}/"
    client.force_login(carol)
    page = client.get(reverse("portal-incident", args=[source.pk]))
    assert page.url == reverse("portal-incident", args=[target.pk])


def test_a_responder_merges_and_splits_from_the_portal(alice, bob, carol, client, report):
    kept, moved = report(alice, "L5"), report(bob, "L5")
    other = incident_of(report(alice, "L6"))
    incident = incident_of(kept)
    client.force_login(carol)
    page = client.get(reverse("portal-incident", args=[incident.pk])).content.decode()
    assert "Merge into" in page and f"#{other.pk}" in page and 'form="split-form"' in page

    reference = evidence_reference(moved, carol.viewer)
    response = client.post(reverse("portal-split", args=[incident.pk]), {"evidence": [reference]})
    new = incident_of(moved)
    assert new != incident and response.url == reverse("portal-incident", args=[new.pk])

    response = client.post(reverse("portal-merge", args=[new.pk]), {"target": other.pk})
    assert response.url == reverse("portal-incident", args=[other.pk])
    assert incident_of(moved) == other


def test_a_viewer_of_the_supplier_gets_no_merge_from_the_portal(two, initech_viewer, client):
    first, second = two
    source, target = incident_of(first), incident_of(second)
    client.force_login(initech_viewer)
    assert b"Merge into" not in client.get(reverse("portal-incident", args=[source.pk])).content

    response = client.post(reverse("portal-merge", args=[source.pk]), {"target": target.pk})

    assert response.status_code == 403
    assert incident_of(first) == source


def test_a_refused_merge_on_the_portal_says_why(two, carol, client):
    first, _ = two
    source = incident_of(first)
    client.force_login(carol)

    response = client.post(
        reverse("portal-merge", args=[source.pk]), {"target": source.pk}, follow=True
    )

    assert b"cannot be merged into itself" in response.content
    assert incident_of(first) == source


def test_public_posts_about_a_merged_problem_join_its_target(
    alice, carol, initech, report, on_commit
):
    from suppliers.models import SupplierAlias
    from tests.factories import SupplierAliasFactory

    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    crushed = "@initech cartons arrived crushed again, pallet 7 flattened, terrible"

    def tweet(text: str) -> Post:
        rows = [{"external_id": f"t-{next(_ids)}", "text": text, "author_handle": f"u{next(_ids)}"}]
        result = on_commit(services.posts_ingest, source="twitter", rows=rows)
        return Post.objects.get(pk=result.post_ids[0])

    problem = incident_of(tweet(crushed))
    lot = incident_of(report(alice, "L9"))
    assert problem != lot
    on_commit(services.incident_merge, source=problem, target_id=lot.pk, actor=carol)

    assert incident_of(tweet(crushed + "!")) == lot


# --- the admin -----------------------------------------------------------------------------------


def test_an_operator_merges_and_splits_in_the_admin(
    alice, bob, op, report, django_capture_on_commit_callbacks
):
    from tests.test_admin_services import run_action

    kept, moved = report(alice, "L5"), report(bob, "L5")
    other = incident_of(report(alice, "L6"))
    incident = incident_of(kept)

    with django_capture_on_commit_callbacks(execute=True):
        run_action(op, moved, "split_out")
    new = incident_of(moved)
    assert new not in (incident, other)
    assert IncidentEvent.objects.filter(incident=incident, kind="split").exists()

    with django_capture_on_commit_callbacks(execute=True):
        asked = run_action(op, new, "merge")
        assert b"Merge into incident #" in asked.content
        run_action(op, new, "merge", apply="1", target=str(other.pk))
    assert incident_of(moved) == other
    new.refresh_from_db()
    assert new.merged_into == other
