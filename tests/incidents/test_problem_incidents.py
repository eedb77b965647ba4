"""Incidents are problems: public posts and reports without lot or SKU grouped by what they say and
when, through the real pipeline; titles that say what the problem is."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentEvent, Post, PostMatch, Severity
from incidents.services.counters import incidents_recount
from suppliers.models import SupplierAlias
from tests.factories import SupplierAliasFactory, SupplierMembershipFactory, defect_category

pytestmark = pytest.mark.django_db

_ids = count()

# Eight people, one problem, eight wordings: the lexicon files some under "Damaged", some under
# "Packaging", some under nothing at all.
CRUSHED_CARTONS = [
    "@umbrellapack the cartons arrived crushed again, pallet 3 of 4 damaged",
    "crushed cartons on today's delivery from @umbrellapack, poorly packed on the pallet, awful",
    "@umbrellapack cartons crushed flat in transit, product spilled everywhere, awful",
    "@umbrellapack your cartons are crushed again, terrible",
    "@umbrellapack received crushed cartons, third time this month, unacceptable",
    "crushed cartons everywhere, @umbrellapack fix your packaging, the pallet wrap is useless",
    "@umbrellapack the outer cartons are flattened again, horrible",
    "again crushed cartons from @umbrellapack, we are rejecting the delivery, disappointed",
]
WRONG_INVOICES = [
    "@umbrellapack invoice charged twice for the same order, billing error, annoyed",
    "@umbrellapack we were billed twice, duplicate invoice again, terrible",
    "billing error: @umbrellapack invoiced us twice this month, unacceptable",
]


@pytest.fixture
def publish_at(django_capture_on_commit_callbacks, umbrella):
    """Public posts about Umbrella published at a given time, through a feed and the pipeline."""
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrellapack")

    def _publish(texts: list[str], *, start, every=timedelta(minutes=15)) -> list[Post]:
        rows = [
            {
                "external_id": f"p{next(_ids)}",
                "text": text,
                "author_handle": f"buyer{next(_ids)}",
                "published_at": (start + every * n).isoformat(),
            }
            for n, text in enumerate(texts)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(source="twitter", rows=rows)
        return list(Post.objects.filter(pk__in=result.post_ids).order_by("pk"))

    return _publish


def incidents_of(posts: list[Post]) -> set[int | None]:
    return set(
        PostMatch.objects.filter(post__in=posts, is_primary=True).values_list(
            "incident_id", flat=True
        )
    )


def test_a_burst_of_eight_posts_about_crushed_cartons_lands_in_one_incident(publish_at):
    posts = publish_at(CRUSHED_CARTONS, start=timezone.now() - timedelta(hours=3))

    stored = Post.objects.filter(pk__in=[p.pk for p in posts])
    assert all(post.is_complaint for post in stored)
    # The classifier files them under three categories (Damaged, Packaging, none), which grouping
    # by supplier + category made three incidents of.
    assert len({post.predicted_category_id for post in stored}) == 3
    (incident_id,) = incidents_of(posts)
    incident = Incident.objects.get(pk=incident_id)
    assert incident.post_count == 8
    assert "crushed" in incident.title and "cartons" in incident.title
    assert incident.title.startswith(f"{incident.category.name}: Umbrella Packaging — ")


def test_the_burst_lands_in_one_incident_when_it_arrives_post_by_post(publish_at):
    start = timezone.now() - timedelta(hours=3)
    posts = [
        publish_at([text], start=start + timedelta(minutes=15 * n))[0]
        for n, text in enumerate(CRUSHED_CARTONS)
    ]
    assert len(incidents_of(posts)) == 1


def test_two_problems_of_one_supplier_in_one_week_land_in_two_incidents(publish_at):
    start = timezone.now() - timedelta(days=6)
    crushed = publish_at(CRUSHED_CARTONS[:4], start=start)
    billed = publish_at(WRONG_INVOICES, start=start + timedelta(days=3))

    assert len(incidents_of(crushed)) == 1
    assert len(incidents_of(billed)) == 1
    assert incidents_of(crushed) != incidents_of(billed)


def test_the_same_problem_after_a_quiet_period_opens_a_new_incident(publish_at, settings):
    settings.SW_GROUPING_QUIET_HOURS = 48
    start = timezone.now() - timedelta(days=20)
    first = publish_at(CRUSHED_CARTONS[:4], start=start)
    again = publish_at(CRUSHED_CARTONS[4:], start=start + timedelta(days=10))

    assert len(incidents_of(first)) == len(incidents_of(again)) == 1
    assert incidents_of(first) != incidents_of(again)


def test_there_is_no_catch_all_incident(publish_at):
    texts = [
        "@umbrellapack the website is down again, awful",
        "@umbrellapack rude driver at our dock today, terrible",
        *CRUSHED_CARTONS[:3],
    ]
    posts = publish_at(texts, start=timezone.now() - timedelta(hours=2))
    assert len(incidents_of(posts)) == 3
    assert not Incident.objects.filter(title__startswith="Complaints:").exists()


def test_new_evidence_of_a_resolved_problem_within_the_window_reopens_it(publish_at, dave):
    first = publish_at(CRUSHED_CARTONS[:3], start=timezone.now() - timedelta(days=3))
    incident = Incident.objects.get(pk=incidents_of(first).pop())
    services.incident_resolve(incident=incident, actor=dave)

    again = publish_at(CRUSHED_CARTONS[3:5], start=timezone.now() - timedelta(hours=1))

    incident.refresh_from_db()
    assert incidents_of(again) == {incident.pk}
    assert incident.status == Incident.Status.REOPENED
    assert incident.post_count == 5
    assert IncidentEvent.objects.filter(
        incident=incident, kind=IncidentEvent.Kind.REOPENED
    ).exists()


def test_another_problem_does_not_reopen_a_resolved_incident(publish_at, dave):
    first = publish_at(CRUSHED_CARTONS[:3], start=timezone.now() - timedelta(days=3))
    incident = Incident.objects.get(pk=incidents_of(first).pop())
    services.incident_resolve(incident=incident, actor=dave)

    other = publish_at(WRONG_INVOICES[:2], start=timezone.now() - timedelta(hours=1))

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.pk not in incidents_of(other)


def test_a_report_without_lot_or_sku_is_grouped_with_public_posts_of_its_problem(
    django_capture_on_commit_callbacks, publish_at, alice, umbrella
):
    posts = publish_at(CRUSHED_CARTONS[:3], start=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.post_report(
            author=alice,
            supplier=umbrella,
            text="Cartons crushed on arrival again, pallets damaged",
            category=None,
            lot="",
        )
    assert incidents_of([*posts, report]) == incidents_of(posts)


def private_report(on_commit, author, supplier, text: str) -> Post:
    with on_commit(execute=True):
        return services.post_report(
            author=author,
            supplier=supplier,
            text=text,
            category=None,
            lot="",
            visibility=Post.Visibility.PRIVATE,
        )


def test_a_private_reports_words_title_only_its_own_organizations_incident(
    django_capture_on_commit_callbacks, alice, bob, initech
):
    text = "Acme plant Zanzibar: housings cracked, out of spec"
    report = private_report(django_capture_on_commit_callbacks, alice, initech, text)
    incident = Incident.objects.get(pk=incidents_of([report]).pop())
    # Only Acme sees it (it counts nothing for anyone else), and its title says what Acme wrote.
    assert "housings" in incident.title and incident.post_count == 0
    assert not Incident.objects.visible_to(bob).filter(pk=incident.pk).exists()
    assert not Incident.objects.visible_to(initech_staff(initech)).filter(pk=incident.pk).exists()


def initech_staff(initech):
    return SupplierMembershipFactory(supplier=initech).user


def test_shared_evidence_of_a_private_reports_problem_takes_the_report_in_and_nothing_of_it_shows(
    django_capture_on_commit_callbacks, publish_at, alice, bob, umbrella, client
):
    text = "Cartons from Umbrella arrived crushed at our Zanzibar plant, pallets damaged"
    report = private_report(django_capture_on_commit_callbacks, alice, umbrella, text)
    (private_id,) = incidents_of([report])
    services.incident_follow(user=alice, incident=Incident.objects.get(pk=private_id))

    posts = publish_at(CRUSHED_CARTONS[:4], start=timezone.now() - timedelta(minutes=50))

    (shared_id,) = incidents_of(posts)
    assert incidents_of([report]) == {shared_id} != {private_id}
    shared, folded = Incident.objects.get(pk=shared_id), Incident.objects.get(pk=private_id)
    assert folded.merged_into_id == shared_id and folded.status == Incident.Status.CLOSED
    # What everyone sees of the shared incident comes from the shared evidence only.
    assert "zanzibar" not in shared.title.lower() and shared.signature["posts"] == 4
    assert shared.post_count == 4 and shared.first_seen_at == posts[0].published_at
    assert shared.created_at > folded.created_at
    assert not shared.events.filter(kind__in=["merged", "merged_into"]).exists()
    assert not Post.objects.visible_to(bob).filter(pk=report.pk).exists()
    # Acme's timeline of its report's incident says where it went; Acme now follows that one.
    event = folded.events.get(kind="merged_into")
    assert event.data["other_id"] == shared_id and event.data["posts"] == 1
    assert shared.follows.filter(user=alice).exists()
    # Its page takes Acme to the shared incident; for anyone else it never existed.
    path = reverse("incident-detail", kwargs={"pk": private_id})
    client.force_login(alice)
    assert client.get(path)["Location"] == reverse("incident-detail", kwargs={"pk": shared_id})
    client.force_login(bob)
    assert client.get(path).status_code == 404
    incidents_recount(incident_ids=[shared_id, private_id])
    assert Incident.objects.get(pk=shared_id).post_count == 4
    assert Incident.objects.get(pk=private_id).post_count == 0


def test_a_title_never_names_the_reporting_organization(
    django_capture_on_commit_callbacks, alice, initech
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.post_report(
            author=alice,
            supplier=initech,
            text=f"{alice.party.organization.name} line stopped: housings cracked",
            category=defect_category(),
            lot="",
        )
    incident = Incident.objects.get(pk=incidents_of([report]).pop())
    for word in alice.party.organization.name.lower().split():
        assert word not in incident.title.lower().split(" — ")[1]
    assert "cracked" in incident.title


def test_new_problems_of_one_batch_keep_the_suppliers_sla_asking_for_it_once(
    publish_at, umbrella, operator
):
    services.sla_promises_save(
        actor=operator,
        supplier=umbrella,
        promises={Severity.LOW: {"first_answer_hours": 3, "resolution_hours": 30}},
    )
    with CaptureQueriesContext(connection) as queries:
        posts = publish_at(
            CRUSHED_CARTONS[:4] + WRONG_INVOICES, start=timezone.now() - timedelta(hours=3)
        )

    incidents = Incident.objects.filter(pk__in=incidents_of(posts))
    assert incidents.count() == 2
    for incident in incidents:
        assert incident.acknowledge_due_at - incident.sla_started_at == timedelta(hours=3)
        assert incident.resolve_due_at - incident.sla_started_at == timedelta(hours=30)
    asked = [query for query in queries if '"incidents_slapolicy"' in query["sql"]]
    assert len(asked) == 1
