"""The complaints counted per day (ComplaintDay) that the dashboards chart: kept through every path
that groups, regroups or removes evidence, equal to a count from scratch, and giving each viewer
exactly the figures a count over the posts gives it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from importlib import import_module
from itertools import count
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import selectors, services
from incidents.charts import RANGES
from incidents.models import ComplaintDay, Incident, Post, PostMatch
from incidents.services.complaint_days import complaint_days_drift, complaint_days_rebuild
from incidents.services.counters import counters_drift
from suppliers.models import SupplierAlias
from tests.factories import (
    BuyerMembershipFactory,
    CategoryFactory,
    OrganizationFactory,
    SupplierAliasFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

_ids = count()
NOW = timezone.now()


def ago(days: int, hours: int = 1) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


@pytest.fixture
def world(on_commit, alice, bob, carol, dave, operator, initech, umbrella):
    """Public posts and anonymous, named and private reports of three organizations about two
    suppliers over several days; then a label correction, an accepted dispute, a merge, a
    split, an operator's correction of a report and a deletion."""
    defect = defect_category()
    if not defect.keywords:
        defect.keywords = ["cracked", "broken", "out of spec"]
        defect.save()
    late = CategoryFactory(slug="late-delivery", name="Late delivery", keywords=["late"])
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrellapack")
    wayne = BuyerMembershipFactory(organization=OrganizationFactory(name="Wayne")).user

    def report(author, supplier, lot, days, **extra):
        return on_commit(
            services.post_report,
            author=author,
            supplier=supplier,
            text=f"Lot {lot} housings cracked",
            lot=lot,
            category=extra.pop("category", defect),
            published_at=ago(days),
            **extra,
        )

    def publish(text, days):
        rows = [
            {
                "external_id": f"cd{next(_ids)}",
                "text": text,
                "author_handle": f"user{next(_ids)}",
                "published_at": ago(days).isoformat(),
            }
        ]
        result = on_commit(services.posts_ingest, source="twitter", rows=rows)
        return Post.objects.get(pk=result.post_ids[0])

    private = Post.Visibility.PRIVATE
    named = Post.Visibility.NAMED
    reports = [
        report(alice, initech, "L1", 1),
        report(bob, initech, "L1", 1, visibility=named),
        report(alice, initech, "L2", 3, visibility=private),
        report(bob, initech, "L2", 3, visibility=private, category=late),
        report(wayne, initech, "L3", 5),
        report(wayne, umbrella, "U1", 2, visibility=private),
        report(bob, umbrella, "U1", 2),
        report(alice, umbrella, "U2", 40, visibility=named),
    ]
    bad = "arrived broken and defective, terrible and unacceptable"
    tweets = [
        publish(f"@initech the housings {bad}", 0),
        publish(f"@initech late and {bad}, and @umbrellapack too", 2),
        publish(f"@umbrellapack the cartons {bad}", 4),
        publish(f"@initech the casings {bad}", 6),
        publish(f"@initech the parts {bad}", 10),
    ]

    def incident_of(post):
        return PostMatch.objects.get(post=post, incident__isnull=False).incident

    # A label correction: the classifier's category was wrong.
    on_commit(services.posts_relabel, posts=[tweets[0]], actor=operator, is_complaint=True,
              category=late)  # fmt: skip
    # An accepted dispute: Wayne's report was not about Initech.
    dispute = services.dispute_open(
        post=reports[4], incident=incident_of(reports[4]), actor=carol, reason="not_about_us"
    )
    on_commit(services.dispute_accept, dispute=dispute, actor=wayne)
    # A merge of two lots' incidents, and a split of a public post out of its incident.
    source, target = incident_of(reports[0]), incident_of(tweets[3])
    assert source != target
    on_commit(services.incident_merge, source=source, target_id=target.pk, actor=carol)
    assert incident_of(reports[0]) == target
    on_commit(services.incident_split, incident=target, posts=[tweets[3]], actor=carol)
    assert incident_of(tweets[3]) != target
    # An operator moves a report a day earlier and makes it private (it is processed again).
    on_commit(services.post_update, post=reports[6], actor=operator,
              published_at=ago(3), visibility=private)  # fmt: skip
    # Spam.
    services.posts_delete(posts=[tweets[4]], actor=operator)
    assert PostMatch.objects.filter(incident__isnull=False).count() >= 10
    return SimpleNamespace(wayne=wayne)


def _by_day(rows) -> Counter[date]:
    return Counter(timezone.localdate(at) for at in rows)


def counted_from_posts(viewer, *, supplier=None, portal=False) -> Counter[date]:
    """The figures as the dashboards counted them before, over the posts."""
    if portal:
        evidence = PostMatch.objects.filter(
            incident__in=Incident.objects.visible_to(viewer),
            supplier_id=viewer.supplier_id,
            post__published_at__lte=NOW,
        ).exclude(post__visibility=Post.Visibility.PRIVATE)
        return _by_day(evidence.values_list("post__published_at", flat=True))
    posts = Post.objects.visible_to(viewer).filter(published_at__lte=NOW)
    if supplier is None:
        posts = posts.filter(matches__is_primary=True, matches__incident__isnull=False)
    else:
        posts = posts.filter(matches__supplier=supplier, matches__incident__isnull=False)
    return _by_day(posts.distinct().values_list("published_at", flat=True))


def charted(trend) -> Counter[date]:
    assert trend.chart.period == "day"
    return Counter({date.fromisoformat(label): n for label, n in trend.chart.points if n})


def within(days: Counter[date], key: str) -> Counter[date]:
    start = RANGES[key].start(timezone.localdate(NOW))
    return Counter({day: n for day, n in days.items() if start is None or day >= start})


def test_the_daily_counts_equal_a_count_from_scratch(world):
    assert ComplaintDay.objects.exclude(n=0).exists()
    assert complaint_days_drift() == []
    kept = set(ComplaintDay.objects.exclude(n=0).values_list("day", "supplier", "category", "private_to", "n"))  # fmt: skip
    complaint_days_rebuild()
    assert set(ComplaintDay.objects.values_list("day", "supplier", "category", "private_to", "n")) == kept  # fmt: skip


@pytest.mark.parametrize("key", ["7d", "30d", "all"])
@pytest.mark.parametrize("who", ["operator", "alice", "bob", "wayne"])
def test_every_buyer_and_operator_charts_what_it_may_count(request, world, who, key, initech):
    user = world.wayne if who == "wayne" else request.getfixturevalue(who)
    viewer = user.viewer
    network = selectors.network_complaints_trend(viewer=viewer, time_range=RANGES[key], now=NOW)
    assert charted(network) == within(counted_from_posts(viewer), key)
    page = selectors.supplier_complaints_trend(
        viewer=viewer, supplier=initech, time_range=RANGES[key], now=NOW
    )
    assert charted(page) == within(counted_from_posts(viewer, supplier=initech), key)


@pytest.mark.parametrize("key", ["7d", "30d", "all"])
@pytest.mark.parametrize("who", ["carol", "dave"])
def test_each_suppliers_portal_charts_its_shared_complaints(request, world, who, key):
    viewer = request.getfixturevalue(who).viewer
    overview = selectors.portal_overview(viewer=viewer, time_range=RANGES[key], now=NOW)
    expected = within(counted_from_posts(viewer, portal=True), key)
    assert charted(overview.complaints) == expected and sum(expected.values()) > 0
    start = RANGES[key].start(timezone.localdate(NOW))
    evidence = PostMatch.objects.filter(
        incident__isnull=False, supplier_id=viewer.supplier_id, post__published_at__lte=NOW
    ).exclude(post__visibility=Post.Visibility.PRIVATE)
    if start is not None:
        evidence = evidence.filter(post__published_at__date__gte=start)
    by_category = (
        evidence.values("post__predicted_category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "post__predicted_category__name")
    )
    assert overview.top_categories == [
        (row["post__predicted_category__name"] or "Uncategorised", row["n"])
        for row in by_category[:5]
    ]


def test_the_dashboards_read_the_daily_counts_not_the_posts(world, carol, bob):
    with CaptureQueriesContext(connection) as queries:
        selectors.portal_overview(viewer=carol.viewer, time_range=RANGES["30d"], now=NOW)
        selectors.network_complaints_trend(viewer=bob.viewer, time_range=RANGES["30d"], now=NOW)
    counting = [q["sql"] for q in queries.captured_queries if "incidents_complaintday" in q["sql"]]
    assert len(counting) == 3  # the portal's chart and top categories, the buyer's chart
    assert not any("incidents_post" in sql for sql in counting)


def test_a_private_report_counts_only_for_its_own_organization(world, alice, bob, initech):
    def total(user):
        trend = selectors.supplier_complaints_trend(
            viewer=user.viewer, supplier=initech, time_range=RANGES["30d"], now=NOW
        )
        return trend.chart.total

    # Alice's and Bob's private reports of lot L2, each counted by its organization alone.
    assert total(alice) == total(bob)
    shared = ComplaintDay.objects.filter(supplier=initech, private_to__isnull=True)
    assert total(alice) == sum(shared.values_list("n", flat=True)) + 1


def test_the_migration_counts_existing_complaints_as_the_rebuild_does(world):
    migration = import_module("incidents.migrations.0036_complaint_days")
    expected = set(ComplaintDay.objects.exclude(n=0).values_list("day", "supplier", "category", "private_to", "n"))  # fmt: skip
    ComplaintDay.objects.all().delete()
    from django.apps import apps

    migration.count_existing(apps, SimpleNamespace(connection=connection))
    assert set(ComplaintDay.objects.values_list("day", "supplier", "category", "private_to", "n")) == expected  # fmt: skip


def test_recount_incidents_checks_and_rebuilds_the_daily_counts(world, capsys):
    row = ComplaintDay.objects.exclude(n=0).first()
    ComplaintDay.objects.filter(pk=row.pk).update(n=row.n + 5)
    with pytest.raises(CommandError, match="1 drifted daily complaint counts"):
        call_command("recount_incidents", "--check")
    assert f"stored {row.n + 5}, counted {row.n}" in capsys.readouterr().out
    call_command("recount_incidents")
    assert "rebuilt" in capsys.readouterr().out
    call_command("recount_incidents", "--check")
    assert "0 drifted daily complaint counts" in capsys.readouterr().out
    assert complaint_days_drift() == []


def test_a_day_whose_complaints_all_left_dates_no_complaint(on_commit, alice, operator, umbrella):
    old = on_commit(
        services.post_report,
        author=alice,
        supplier=umbrella,
        text="Lot U9 cartons crushed",
        lot="U9",
        published_at=ago(40),
    )
    week = RANGES["7d"]
    trend = selectors.supplier_complaints_trend(
        viewer=alice.viewer, supplier=umbrella, time_range=week, now=NOW
    )
    assert trend.latest == timezone.localdate(ago(40))

    services.posts_delete(posts=[old], actor=operator)

    assert ComplaintDay.objects.get(supplier=umbrella).n == 0
    trend = selectors.supplier_complaints_trend(
        viewer=alice.viewer, supplier=umbrella, time_range=week, now=NOW
    )
    assert trend.latest is None and trend.chart.total == 0


def _counts_equal_a_recount() -> None:
    assert complaint_days_drift() == []
    assert counters_drift(incident_ids=Incident.objects.values_list("pk", flat=True)) == []


def test_deleting_an_organization_takes_its_reports_out_of_every_count(world, acme):
    # Acme's shared and private reports are counted in incidents and by day.
    assert Post.objects.filter(organization=acme, matches__incident__isnull=False).exists()
    pk = acme.pk
    acme.delete()
    assert not Post.objects.filter(organization_id=pk).exists()
    _counts_equal_a_recount()


def test_deleting_a_category_leaves_its_complaints_uncategorised_in_the_daily_counts(world):
    category = ComplaintDay.objects.exclude(n=0).exclude(category=None).first().category
    total = sum(ComplaintDay.objects.values_list("n", flat=True))
    # Buyers' choices and incidents protect a category; here it is left only to complaints.
    Post.objects.filter(category=category).update(category=None)
    Incident.objects.filter(category=category).update(category=None)
    pk = category.pk
    category.delete()
    assert not ComplaintDay.objects.filter(category_id=pk).exists()
    assert sum(ComplaintDay.objects.values_list("n", flat=True)) == total
    _counts_equal_a_recount()
