"""The pipeline: buyer reports and public posts, matched, classified and grouped into incidents.

Posts are queued with transaction.on_commit; inside a test's transaction nothing commits, so the
`django_capture_on_commit_callbacks(execute=True)` fixture runs the (eager) tasks as a commit would.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from incidents import services
from incidents.classify import LexiconClassifier
from incidents.matching import Matcher
from incidents.models import (
    SLA_ACKNOWLEDGE,
    SLA_RESOLVE,
    Category,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Severity,
)
from suppliers.models import Membership, SupplierAlias
from tests.factories import (
    BuyerMembershipFactory,
    CategoryFactory,
    SupplierAliasFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

CRACKED = "Half the housings are cracked and out of spec, unacceptable."
_ids = count()


@pytest.fixture
def defect(db) -> Category:
    # Migration 0003 seeds the taxonomy, but a transactional test elsewhere may have flushed it.
    category = defect_category()
    if not category.keywords:
        category.keywords = ["cracked", "broken", "out of spec"]
        category.save()
    return category


@pytest.fixture
def late(db) -> Category:
    return CategoryFactory(
        slug="late-delivery", name="Late delivery", keywords=["late", "still waiting"]
    )


@pytest.fixture
def handles(initech, umbrella) -> None:
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrellapack")


@pytest.fixture
def report(django_capture_on_commit_callbacks, initech, defect):
    """A buyer reports a problem through the service, and the commit runs the pipeline."""

    def _report(author, *, supplier=initech, text=CRACKED, category=defect, lot="L-1", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_report(
                author=author, supplier=supplier, text=text, category=category, lot=lot, **extra
            )
        post.refresh_from_db()
        return post

    return _report


@pytest.fixture
def publish(django_capture_on_commit_callbacks, handles):
    """Public posts arrive from a feed, and the commit runs the pipeline."""

    def _publish(*texts: str, handle: str | None = None) -> list[Post]:
        rows = [
            {
                "external_id": f"p{next(_ids)}",
                "text": text,
                "author_handle": handle or f"user{next(_ids)}",
            }
            for text in texts
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(source="twitter", rows=rows)
        return list(Post.objects.filter(pk__in=result.post_ids).order_by("pk"))

    return _publish


def colleague_of(user):
    return BuyerMembershipFactory(organization=user.party.organization).user


def incident_of(post: Post) -> Incident | None:
    match = PostMatch.objects.select_related("incident").get(post=post, is_primary=True)
    return match.incident


def events(incident: Incident, kind: str | None = None) -> list[IncidentEvent]:
    qs = IncidentEvent.objects.filter(incident=incident).order_by("pk")
    return list(qs.filter(kind=kind) if kind else qs)


def snapshot() -> tuple:
    return (
        list(
            Incident.objects.order_by("pk").values_list(
                "pk",
                "status",
                "severity",
                "post_count",
                "reporter_count",
                "organization_count",
                "public_post_count",
                "first_seen_at",
                "last_seen_at",
            )
        ),
        list(IncidentEvent.objects.order_by("pk").values_list("pk", "kind", "data")),
        list(
            PostMatch.objects.order_by("pk").values_list(
                "pk", "post_id", "supplier_id", "incident_id", "is_primary"
            )
        ),
        list(Post.objects.order_by("pk").values_list("pk", "status", "attempts", "is_complaint")),
    )


# --- buyer reports ----------------------------------------------------------------------------


def test_a_buyer_report_opens_an_incident_for_its_supplier_category_and_lot(
    report, alice, initech, defect
):
    post = report(alice, lot="l-778 ")

    assert post.status == Post.Status.PROCESSED
    assert post.attempts == 1
    incident = incident_of(post)
    assert incident.supplier == initech
    assert incident.category == defect
    assert incident.lot == "L-778"
    assert incident.fingerprint == f"supplier:{initech.pk}|category:{defect.pk}|lot:L-778"
    assert incident.status == Incident.Status.NEW
    assert "L-778" in incident.title and initech.name in incident.title
    assert (incident.post_count, incident.reporter_count, incident.organization_count) == (1, 1, 1)
    assert incident.public_post_count == 0
    assert incident.first_seen_at == incident.last_seen_at == post.published_at


def test_a_report_of_the_same_lot_typed_differently_joins_its_incident(report, alice):
    first = report(alice, lot="L-778")
    second = report(colleague_of(alice), lot=" l 778")

    assert incident_of(first) == incident_of(second)
    assert Incident.objects.count() == 1
    assert incident_of(first).post_count == 2


def test_a_report_of_another_lot_or_category_opens_another_incident(report, alice, late):
    first = report(alice, lot="L-1")
    other_lot = report(alice, lot="L-2")
    other_category = report(alice, lot="L-1", category=late, text="Three weeks late.")

    assert len({incident_of(p).pk for p in (first, other_lot, other_category)}) == 3


def test_a_report_without_lot_is_grouped_by_its_sku(report, alice, bob):
    first = report(alice, lot="", sku="hx-200")
    second = report(bob, lot="", sku="HX-200")
    by_lot = report(bob, lot="L-9", sku="HX-200")

    incident = incident_of(first)
    assert incident == incident_of(second)
    assert incident.sku == "HX-200" and incident.lot == ""
    assert incident_of(by_lot) != incident


def test_a_report_of_another_supplier_opens_its_own_incident(report, alice, umbrella):
    assert incident_of(report(alice)) != incident_of(report(alice, supplier=umbrella))


def test_a_report_without_category_takes_the_category_from_its_text(report, alice, defect):
    post = report(alice, category=None, text="The housings arrived cracked, terrible.")
    assert incident_of(post).category == defect
    assert post.predicted_category == defect


def test_a_report_without_category_in_plain_words_takes_the_category_its_keywords_name(
    report, alice, defect
):
    post = report(
        alice, category=None, text="Lot L-778 arrived with cracked housings, 40 units out of spec"
    )
    assert incident_of(post).category == defect


def test_two_buyers_of_different_organizations_reporting_one_lot_share_one_incident(
    report, alice, bob
):
    from_acme = report(alice, lot="L-778")
    from_globex = report(bob, lot="L-778")

    incident = incident_of(from_acme)
    assert incident_of(from_globex) == incident
    assert Incident.objects.count() == 1
    assert incident.post_count == 2
    assert incident.organization_count == 2
    assert incident.reporter_count == 2


def test_two_colleagues_reporting_one_lot_are_one_organization(report, alice):
    report(alice)
    incident = incident_of(report(colleague_of(alice)))
    assert (incident.post_count, incident.reporter_count, incident.organization_count) == (2, 2, 1)


def test_a_buyer_reporting_twice_is_one_reporter(report, alice):
    report(alice)
    incident = incident_of(report(alice))
    assert (incident.post_count, incident.reporter_count, incident.organization_count) == (2, 1, 1)


# --- private reports --------------------------------------------------------------------------


def test_a_private_report_joins_the_incident_but_is_not_counted(report, alice, bob):
    shared = report(alice)
    private = report(bob, visibility=Post.Visibility.PRIVATE)

    incident = incident_of(shared)
    assert incident_of(private) == incident
    assert incident.post_count == 1
    assert incident.reporter_count == 1
    assert incident.organization_count == 1


def test_an_incident_made_only_of_private_reports_is_visible_only_to_that_organization(
    report, alice, bob, carol, operator
):
    post = report(alice, visibility=Post.Visibility.PRIVATE)

    incident = incident_of(post)
    assert incident.post_count == 0
    assert Incident.objects.visible_to(alice).filter(pk=incident.pk).exists()
    assert Incident.objects.visible_to(operator).filter(pk=incident.pk).exists()
    assert not Incident.objects.visible_to(bob).filter(pk=incident.pk).exists()
    assert not Incident.objects.visible_to(carol).filter(pk=incident.pk).exists()


def test_a_private_incident_becomes_visible_once_shared_evidence_joins_it(
    report, alice, bob, carol
):
    incident = incident_of(report(alice, visibility=Post.Visibility.PRIVATE))
    report(bob)

    assert Incident.objects.visible_to(carol).filter(pk=incident.pk).exists()
    assert Incident.objects.visible_to(bob).filter(pk=incident.pk).exists()


def test_a_private_report_writes_no_evidence_event(report, alice, bob):
    incident = incident_of(report(alice))
    report(bob, visibility=Post.Visibility.PRIVATE)

    added = events(incident, IncidentEvent.Kind.POST_ADDED)
    assert len(added) == 1
    assert added[0].data["posts"] == 1


def test_a_private_report_does_not_raise_the_shared_incidents_severity(report, alice, bob):
    incident = incident_of(report(alice, severity=Severity.MEDIUM))
    report(bob, visibility=Post.Visibility.PRIVATE, severity=Severity.CRITICAL)

    incident.refresh_from_db()
    assert incident.severity == Severity.MEDIUM
    assert not events(incident, IncidentEvent.Kind.SEVERITY_CHANGED)


def test_a_private_report_does_not_make_the_shared_incident_look_active(report, alice, bob):
    incident = incident_of(report(alice))
    long_ago = timezone.now() - timedelta(days=3)
    Incident.objects.filter(pk=incident.pk).update(last_activity_at=long_ago)

    report(bob, visibility=Post.Visibility.PRIVATE)

    incident.refresh_from_db()
    assert incident.last_activity_at == long_ago


def test_a_private_report_does_not_reopen_a_resolved_shared_incident(report, alice, bob, carol):
    incident = incident_of(report(alice))
    services.incident_resolve(incident=incident, actor=carol)

    report(bob, visibility=Post.Visibility.PRIVATE)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert not events(incident, IncidentEvent.Kind.REOPENED)


# --- public posts -----------------------------------------------------------------------------


def test_a_public_complaint_naming_a_supplier_joins_its_incident(
    report, publish, alice, initech, defect
):
    buyer_post = report(alice, lot="", sku="")
    (public,) = publish("@initech your housings arrived cracked again, terrible.")

    assert public.status == Post.Status.PROCESSED
    assert public.is_complaint
    assert public.predicted_category == defect
    match = PostMatch.objects.get(post=public)
    assert match.supplier == initech and match.is_primary
    incident = incident_of(buyer_post)
    assert match.incident == incident
    assert incident.post_count == 2
    assert incident.public_post_count == 1
    # One buyer and one public author; public authors belong to no organization.
    assert incident.reporter_count == 2
    assert incident.organization_count == 1


def test_public_posts_count_their_distinct_authors(publish):
    text = "@initech the housings arrived cracked, terrible."
    publish(text, text, handle="angry_engineer")
    (third,) = publish(text, handle="someone_else")

    incident = incident_of(third)
    assert (incident.post_count, incident.public_post_count, incident.reporter_count) == (3, 3, 2)
    assert incident.organization_count == 0


def test_a_public_complaint_opens_a_low_severity_incident(publish, initech):
    (post,) = publish("@initech still waiting, order is two weeks late. Terrible.")
    incident = incident_of(post)
    assert incident.supplier == initech
    assert incident.severity == Severity.LOW
    assert incident.lot == incident.sku == ""


def test_a_public_post_that_is_no_complaint_keeps_its_match_but_joins_no_incident(publish, initech):
    (post,) = publish("thanks @initech, great crew!")

    assert post.status == Post.Status.PROCESSED
    assert post.is_complaint is False
    assert post.predicted_category is None
    match = PostMatch.objects.get(post=post)
    assert match.supplier == initech
    assert match.incident is None
    assert not Incident.objects.exists()


def test_a_public_post_naming_no_supplier_is_processed_without_a_match(publish):
    (post,) = publish("Our own forklift broke down today, terrible.")
    assert post.status == Post.Status.PROCESSED
    assert not PostMatch.objects.filter(post=post).exists()
    assert not Incident.objects.exists()


def test_a_post_naming_two_suppliers_gets_two_matches_one_primary(publish, initech, umbrella):
    (post,) = publish(
        "@initech housings arrived cracked, and @umbrellapack boxes were crushed. Awful."
    )

    matches = {m.supplier_id: m for m in PostMatch.objects.filter(post=post)}
    assert set(matches) == {initech.pk, umbrella.pk}
    assert matches[initech.pk].is_primary
    assert not matches[umbrella.pk].is_primary
    # The complaint is about the supplier it addresses first.
    assert matches[initech.pk].incident.supplier == initech
    assert matches[umbrella.pk].incident is None
    assert not Incident.objects.filter(supplier=umbrella).exists()


# --- idempotency ------------------------------------------------------------------------------


def test_processing_the_same_posts_twice_changes_nothing(report, publish, alice, bob):
    posts = [report(alice), report(bob, visibility=Post.Visibility.PRIVATE)]
    posts += publish("@initech the housings arrived cracked, terrible.", "thanks @initech!")
    before = snapshot()

    result = services.posts_process(post_ids=[p.pk for p in posts])

    assert result.processed == 0
    assert snapshot() == before


def test_requeueing_processed_posts_does_nothing(
    report, publish, alice, django_capture_on_commit_callbacks
):
    posts = [report(alice), *publish("@initech the housings arrived cracked, terrible.")]
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.posts_queue([p.pk for p in posts])

    assert len(callbacks) == 1
    assert snapshot() == before


def test_reprocessing_a_post_set_back_to_pending_does_not_count_it_twice(report, alice, bob):
    posts = [report(alice), report(bob)]
    incident = incident_of(posts[0])
    Post.objects.filter(pk=posts[0].pk).update(status=Post.Status.PENDING)

    services.posts_process(post_ids=[posts[0].pk])

    incident.refresh_from_db()
    assert PostMatch.objects.filter(post=posts[0]).count() == 1
    assert incident_of(posts[0]) == incident
    assert (incident.post_count, incident.reporter_count, incident.organization_count) == (2, 2, 2)


# --- regressions: reopen or open anew ---------------------------------------------------------


def test_a_report_soon_after_resolution_reopens_the_incident(report, alice, bob, carol, settings):
    settings.SW_REOPEN_WINDOW_DAYS = 10
    incident = incident_of(report(alice))
    services.incident_resolve(incident=incident, actor=carol)
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=9))

    again = report(bob)

    incident.refresh_from_db()
    assert incident_of(again) == incident
    assert incident.status == Incident.Status.REOPENED
    assert incident.reopened_count == 1
    assert incident.resolved_at is None
    assert incident.post_count == 2
    assert len(events(incident, IncidentEvent.Kind.REOPENED)) == 1
    assert Incident.objects.count() == 1


def test_a_report_after_the_reopen_window_opens_a_new_incident(report, alice, bob, carol, settings):
    settings.SW_REOPEN_WINDOW_DAYS = 10
    old = incident_of(report(alice))
    services.incident_resolve(incident=old, actor=carol)
    Incident.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=11))

    new = incident_of(report(bob))

    old.refresh_from_db()
    assert new != old
    assert new.fingerprint == old.fingerprint
    assert new.status == Incident.Status.NEW
    assert old.status == Incident.Status.RESOLVED
    assert old.post_count == 1 and new.post_count == 1
    assert not events(old, IncidentEvent.Kind.REOPENED)
    assert len(events(new, IncidentEvent.Kind.CREATED)) == 1


def test_a_reopened_incident_takes_further_evidence_as_an_open_one(report, alice, bob, carol):
    incident = incident_of(report(alice))
    services.incident_resolve(incident=incident, actor=carol)
    report(bob)
    report(colleague_of(bob))

    incident.refresh_from_db()
    assert incident.reopened_count == 1
    assert incident.post_count == 3
    assert len(events(incident, IncidentEvent.Kind.REOPENED)) == 1


# --- the timeline -----------------------------------------------------------------------------


def test_opening_an_incident_writes_a_created_and_an_evidence_event(report, alice):
    post = report(alice)
    incident = incident_of(post)

    created, added = events(incident)
    assert created.kind == IncidentEvent.Kind.CREATED
    assert added.kind == IncidentEvent.Kind.POST_ADDED
    # Whose reports it brought (not shown: presenters.event_data) dates it for each viewer.
    brought = {
        "buyer_reports": 1,
        "unnamed_reports": 1,
        "report_organization": post.organization_id,
    }
    assert added.data == {
        "posts": 1,
        "public_posts": 0,
        "post_ids": [post.pk],
        **brought,
        "opening": True,
    }
    assert created.data == {"by": "pipeline", **brought}


def test_evidence_events_count_the_posts_added(report, publish, alice):
    incident = incident_of(report(alice, lot="", sku=""))
    posts = publish(
        "@initech the housings arrived cracked, terrible.",
        "@initech broken again, out of spec. Awful.",
    )

    last = events(incident, IncidentEvent.Kind.POST_ADDED)[-1]
    assert last.data == {
        "posts": 2,
        "public_posts": 2,
        "post_ids": [p.pk for p in posts],
        "buyer_reports": 0,
        "unnamed_reports": 0,
        "report_organization": None,
    }
    assert len(events(incident, IncidentEvent.Kind.CREATED)) == 1


def test_a_buyer_reporting_a_higher_severity_raises_the_incidents_severity(report, alice, bob):
    incident = incident_of(report(alice, severity=Severity.MEDIUM))
    report(bob, severity=Severity.CRITICAL)

    incident.refresh_from_db()
    assert incident.severity == Severity.CRITICAL
    (changed,) = events(incident, IncidentEvent.Kind.SEVERITY_CHANGED)
    assert changed.data == {
        "from": Severity.MEDIUM,
        "to": Severity.CRITICAL,
        "by": "report",
        # Bob's report raised it: the event is dated as that report is.
        "buyer_reports": 1,
        "unnamed_reports": 1,
        "report_organization": bob.party.organization_id,
    }
    # The SLA follows the severity: a critical problem is due sooner.
    assert (
        incident.acknowledge_due_at
        == Incident.sla_clock_start(incident.created_at) + SLA_ACKNOWLEDGE[Severity.CRITICAL]
    )
    assert (
        incident.resolve_due_at
        == Incident.sla_clock_start(incident.created_at) + SLA_RESOLVE[Severity.CRITICAL]
    )


def test_a_lower_severity_never_lowers_the_incidents_severity(report, alice, bob):
    incident = incident_of(report(alice, severity=Severity.HIGH))
    report(bob, severity=Severity.LOW)

    incident.refresh_from_db()
    assert incident.severity == Severity.HIGH
    assert not events(incident, IncidentEvent.Kind.SEVERITY_CHANGED)


def test_the_first_report_sets_the_severity_of_the_incident_it_opens(report, alice):
    incident = incident_of(report(alice, severity=Severity.HIGH))
    assert incident.severity == Severity.HIGH
    assert not events(incident, IncidentEvent.Kind.SEVERITY_CHANGED)


# --- failures ---------------------------------------------------------------------------------


def test_a_post_that_makes_classifying_raise_is_failed_while_its_batch_is_processed(
    publish, monkeypatch
):
    real_classify = LexiconClassifier.classify

    def classify(self, text):
        if "POISON" in text:
            raise RuntimeError("the classifier choked")
        return real_classify(self, text)

    monkeypatch.setattr(LexiconClassifier, "classify", classify)

    good, bad, other = publish(
        "@initech the housings arrived cracked, terrible.",
        "@initech POISON",
        "@initech broken again, out of spec. Awful.",
    )

    for post in (good, bad, other):
        post.refresh_from_db()
    assert bad.status == Post.Status.FAILED
    assert bad.error
    assert not PostMatch.objects.filter(post=bad).exists()
    assert good.status == other.status == Post.Status.PROCESSED
    incident = incident_of(good)
    assert incident == incident_of(other)
    assert incident.post_count == 2


def test_a_post_that_makes_matching_raise_is_failed_while_its_batch_is_processed(
    publish, monkeypatch
):
    real_search = Matcher.search

    def search(self, text):
        if "POISON" in text:
            raise ValueError("the matcher choked")
        return real_search(self, text)

    monkeypatch.setattr(Matcher, "search", search)

    posts = publish("@initech POISON", "@initech the housings arrived cracked, terrible.")

    statuses = dict(Post.objects.filter(pk__in=[p.pk for p in posts]).values_list("pk", "status"))
    assert statuses == {posts[0].pk: Post.Status.FAILED, posts[1].pk: Post.Status.PROCESSED}
    assert incident_of(posts[1]).post_count == 1


def test_a_failed_post_stays_failed_when_queued_again(
    publish, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        LexiconClassifier, "classify", lambda self, text: (_ for _ in ()).throw(RuntimeError())
    )
    (post,) = publish("@initech anything")
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        services.posts_queue([post.pk])

    post.refresh_from_db()
    assert post.status == Post.Status.FAILED


def test_only_buyer_organization_members_can_report(initech, carol):
    from supplierwatch.errors import ApplicationError

    assert carol.party.role == Membership.Role.RESPONDER
    with pytest.raises(ApplicationError):
        services.post_report(author=carol, supplier=initech, text="We are our own customer")
    assert not Post.objects.exists()
