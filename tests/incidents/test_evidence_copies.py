"""A match copies its post's time, visibility and reporting organization (PostMatch.POST_COPIES):
an incident's evidence is ordered, paged, charted and counted for a viewer from them, so they are
its post's after processing, reprocessing, a correction, a merge and a split, and the page's order
is the order of the times shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidents import selectors, services
from incidents.models import Incident, Post, PostMatch
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, PublicPostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(initech, on_commit):
    def _report(author, lot: str, **extra) -> Post:
        text = extra.pop("text", "The brackets arrived cracked")
        return on_commit(
            services.post_report, author=author, supplier=initech, text=text, lot=lot, **extra
        )

    return _report


def copies_match_their_posts(*posts: Post) -> bool:
    matches = list(PostMatch.objects.filter(post__in=posts).select_related("post"))
    assert matches
    return all(
        (m.post_published_at, m.post_visibility, m.post_organization_id)
        == (m.post.published_at, m.post.visibility, m.post.organization_id)
        for m in matches
    )


def incident_of(post: Post) -> Incident:
    return PostMatch.objects.get(post=post, incident__isnull=False).incident


def test_processing_stores_each_match_with_its_posts_time_visibility_and_organization(
    alice, bob, report, initech, on_commit
):
    named = report(alice, "L42", visibility=Post.Visibility.NAMED)
    private = report(bob, "L42", visibility=Post.Visibility.PRIVATE)
    tweet = on_commit(
        services.posts_ingest,
        source="twitter",
        rows=[{"external_id": "t1", "text": "Initech Components shipped cracked brackets again"}],
    )
    public = Post.objects.get(external_id="t1")
    assert tweet.accepted == 1

    assert copies_match_their_posts(named, private, public)
    match = PostMatch.objects.get(post=private)
    assert (match.post_visibility, match.post_organization_id) == (
        "private",
        bob.party.organization_id,
    )


def test_a_correction_changes_the_copies_at_once_and_reprocessing_keeps_them(
    alice, bob, operator, report, on_commit
):
    """A report an operator makes private leaves everyone else's page and chart now, before it
    is processed again (its incidents are recounted at once too)."""
    first = report(alice, "L42")
    second = report(bob, "L42", visibility=Post.Visibility.NAMED)
    incident = incident_of(first)
    earlier = first.published_at - timedelta(days=3)

    services.post_update(
        post=first, actor=operator, visibility=Post.Visibility.PRIVATE, published_at=earlier
    )

    first.refresh_from_db()
    assert copies_match_their_posts(first)
    assert list(selectors.incident_evidence_ids(viewer=bob.viewer, incident=incident)) == [
        second.pk
    ]
    per_day = selectors.incident_evidence_per_day(viewer=bob.viewer, incident=incident)
    assert sum(per_day.values()) == 1 and earlier.date() not in per_day
    # Its own organization still reads it, on the day it is now dated.
    own = selectors.incident_evidence_per_day(viewer=alice.viewer, incident=incident)
    assert own[earlier.astimezone(UTC).date()] == 1

    Post.objects.filter(pk=first.pk).update(status=Post.Status.PENDING)
    services.posts_process(post_ids=[first.pk, second.pk])
    assert copies_match_their_posts(first, second)


def test_merge_and_split_keep_the_copies(alice, bob, carol, report, on_commit):
    first, second = report(alice, "L42"), report(bob, "L77", visibility=Post.Visibility.NAMED)
    target = incident_of(second)
    on_commit(services.incident_merge, source=incident_of(first), target_id=target.pk, actor=carol)
    third = report(alice, "L77", visibility=Post.Visibility.PRIVATE)

    new = on_commit(services.incident_split, incident=target, posts=[second], actor=carol)

    assert incident_of(second) == new and incident_of(first) == target == incident_of(third)
    assert copies_match_their_posts(first, second, third)
    assert list(selectors.incident_evidence_ids(viewer=bob.viewer, incident=target)) == [first.pk]
    assert selectors.incident_private_reports(viewer=alice.viewer, incident=target) == 1
    assert selectors.incident_private_reports(viewer=bob.viewer, incident=target) == 0


@pytest.fixture
def crowded_hour(initech, acme, globex):
    """An incident whose evidence shares hours: reports of two organizations, named and
    anonymous, public posts, one exactly on the hour, and a private report."""
    incident = IncidentFactory(supplier=initech)
    hour = datetime(2026, 11, 30, 14, tzinfo=UTC)
    posts = [
        BuyerPostFactory(
            organization=acme, supplier=initech, published_at=hour + timedelta(minutes=40)
        ),
        BuyerPostFactory(
            organization=globex,
            supplier=initech,
            visibility=Post.Visibility.NAMED,
            published_at=hour + timedelta(minutes=10),
        ),
        BuyerPostFactory(
            organization=globex,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            published_at=hour + timedelta(minutes=50),
        ),
        PublicPostFactory(published_at=hour),
        PublicPostFactory(published_at=hour + timedelta(minutes=30)),
        PublicPostFactory(published_at=hour + timedelta(minutes=59)),
        PublicPostFactory(published_at=hour - timedelta(minutes=1)),
        BuyerPostFactory(
            organization=acme,
            supplier=initech,
            visibility=Post.Visibility.NAMED,
            published_at=hour + timedelta(hours=1, minutes=5),
        ),
        BuyerPostFactory(organization=globex, supplier=initech, published_at=hour),
    ]
    for post in posts:
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    return incident


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "operator"])
def test_a_page_is_in_the_order_of_the_times_shown(crowded_hour, who, request):
    """The page's ids are read by the hour of each post's time first: the same order as the
    times the viewer is shown (an anonymous report at the start of its hour), then the id."""
    viewer = request.getfixturevalue(who).viewer
    ids = list(selectors.incident_evidence_ids(viewer=viewer, incident=crowded_hour))
    shown = list(selectors.incident_evidence(viewer=viewer, incident=crowded_hour))

    assert ids == [post.pk for post in shown]
    times = [post.shown_at for post in shown]
    assert times == sorted(times, reverse=True)
    assert len(ids) == {"alice": 8, "bob": 9, "carol": 8, "operator": 9}[who]


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "operator"])
def test_the_chart_counts_what_the_viewer_may_read(crowded_hour, who, request):
    viewer = request.getfixturevalue(who).viewer
    per_day = selectors.incident_evidence_per_day(viewer=viewer, incident=crowded_hour)
    readable = Post.objects.in_incident(crowded_hour, viewer).count()
    assert per_day == {date(2026, 11, 30): readable}


def test_another_suppliers_staff_count_only_the_evidence_about_their_supplier(
    crowded_hour, dave, umbrella
):
    tweet = Post.objects.filter(visibility=Post.Visibility.PUBLIC).first()
    assert tweet is not None
    PostMatchFactory(post=tweet, supplier=umbrella, is_primary=False)
    per_day = selectors.incident_evidence_per_day(viewer=dave.viewer, incident=crowded_hour)
    assert per_day == {tweet.published_at.date(): 1}
    assert Post.objects.in_incident(crowded_hour, dave.viewer).count() == 1
