"""Trends and dashboards over a chosen range (the `range` parameter): bars that suit the range,
counted in one grouped query, and a word when all the evidence is older than the range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from incidents import selectors
from incidents.charts import RANGES, all_time_bucket, time_range
from incidents.models import Incident, Post
from incidents.selectors.trends import bucket_start
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, PublicPostFactory

pytestmark = pytest.mark.django_db

IMPORTED = datetime(2015, 3, 12, 14, 30, tzinfo=UTC)


def complaints(incident, times: list[datetime]) -> None:
    for at in times:
        PostMatchFactory(
            post=PublicPostFactory(published_at=at, is_complaint=True),
            supplier=incident.supplier,
            incident=incident,
        )
    # The counters the pipeline keeps (supplier staff see incidents with shared evidence).
    Incident.objects.filter(pk=incident.pk).update(post_count=F("post_count") + len(times))


@pytest.fixture
def incident(initech):
    return IncidentFactory(supplier=initech)


# --- The parameter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "days", "bucket"),
    [("7d", 7, "day"), ("30d", 30, "day"), ("90d", 90, "week"), ("1y", 365, "month")],
)
def test_each_range_has_bars_that_suit_it(key, days, bucket):
    chosen, note = time_range(key, "30d")
    assert (chosen.days, chosen.bucket, note) == (days, bucket, "")


@pytest.mark.parametrize("value", ["", None])
def test_no_range_is_the_page_s_default(value):
    assert time_range(value, "90d") == (RANGES["90d"], "")


def test_an_unknown_range_falls_back_to_the_default_and_says_so():
    chosen, note = time_range("fortnight", "30d")
    assert chosen == RANGES["30d"]
    assert (
        note
        == "“fortnight” is not a range (choose one of 7d, 30d, 90d, 1y, all); showing the last 30 days."
    )


def test_all_time_bars_suit_the_span_of_the_evidence():
    today = date(2026, 12, 1)
    assert all_time_bucket(today - timedelta(days=20), today) == "day"
    assert all_time_bucket(today - timedelta(days=200), today) == "week"
    assert all_time_bucket(date(2015, 3, 12), today) == "month"


# --- The supplier page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "period", "bars"),
    [("7d", "day", 7), ("30d", "day", 30), ("90d", "week", {13, 14}), ("1y", "month", {12, 13})],
)
def test_the_supplier_trend_shows_the_chosen_range(client, bob, incident, key, period, bars):
    now = timezone.now()
    complaints(incident, [now - timedelta(days=d) for d in (0, 3, 20, 60, 200, 400)])
    client.force_login(bob)
    response = client.get(reverse("supplier-detail", args=[incident.supplier.slug]), {"range": key})
    trend = response.context["trend"]
    assert trend.range.key == key and trend.chart.period == period
    assert len(trend.chart.points) in (bars if isinstance(bars, set) else {bars})
    expected = {"7d": 2, "30d": 3, "90d": 4, "1y": 5}[key]
    assert trend.chart.total == expected
    html = response.content.decode()
    assert f"Complaints per {period}, {RANGES[key].label}" in html
    assert f'href="?range={key}" aria-current="page"' in html
    assert "show all time" not in html


def test_all_time_starts_at_the_first_complaint(client, bob, incident):
    complaints(incident, [IMPORTED, IMPORTED + timedelta(hours=2), timezone.now()])
    client.force_login(bob)
    response = client.get(
        reverse("supplier-detail", args=[incident.supplier.slug]), {"range": "all"}
    )
    chart = response.context["trend"].chart
    assert chart.period == "month" and chart.total == 3
    assert chart.first_label == "2015-03"
    assert dict(chart.points)["2015-03"] == 2


def test_an_unknown_range_shows_the_default_with_a_note(client, bob, incident):
    client.force_login(bob)
    url = reverse("supplier-detail", args=[incident.supplier.slug])
    response = client.get(url, {"range": "<b>forever</b>"})
    assert response.status_code == 200
    assert response.context["trend"].range.key == "90d"
    html = response.content.decode()
    assert "is not a range" in html and "showing the last 90 days" in html
    assert "<b>forever" not in html


def test_a_trend_of_imported_history_says_when_its_latest_complaint_was(client, bob, incident):
    complaints(incident, [IMPORTED - timedelta(days=1), IMPORTED])
    client.force_login(bob)
    url = reverse("supplier-detail", args=[incident.supplier.slug])
    html = client.get(url, {"range": "30d", "period": "month"}).content.decode()
    assert "No complaints in the last 30 days; the latest is from" in html
    assert "12 Mar 2015" in html
    # The link keeps the page's other choices.
    assert 'href="?range=all&amp;period=month">show all time</a>' in html


def test_a_range_with_complaints_says_nothing_of_older_ones(client, bob, incident):
    complaints(incident, [IMPORTED, timezone.now() - timedelta(days=1)])
    client.force_login(bob)
    url = reverse("supplier-detail", args=[incident.supplier.slug])
    assert "show all time" not in client.get(url, {"range": "7d"}).content.decode()


@pytest.mark.parametrize("key", list(RANGES))
def test_a_trend_costs_one_query_whatever_the_number_of_buckets(
    bob, incident, key, django_assert_num_queries
):
    now = timezone.now()
    complaints(incident, [now - timedelta(days=d, hours=1) for d in range(0, 800, 9)])
    # A range that holds complaints is counted in one grouped query; all time first reads its span.
    with django_assert_num_queries(1 if RANGES[key].days else 2):
        trend = selectors.supplier_complaints_trend(
            viewer=bob.viewer, supplier=incident.supplier, time_range=RANGES[key], now=now
        )
    # From the first day of the range's first bar (a Monday, the first of a month) to today.
    today = timezone.localdate(now)
    first = bucket_start(
        today - timedelta(days=(RANGES[key].days or 10_000) - 1), trend.chart.period
    )
    in_range = [
        d for d in range(0, 800, 9) if timezone.localdate(now - timedelta(days=d, hours=1)) >= first
    ]
    assert trend.chart.total == len(in_range) > 0


def test_a_range_older_than_every_complaint_reads_the_latest_day_in_a_second_query(
    bob, incident, django_assert_num_queries
):
    complaints(incident, [IMPORTED - timedelta(days=1), IMPORTED])
    with django_assert_num_queries(2):
        trend = selectors.supplier_complaints_trend(
            viewer=bob.viewer,
            supplier=incident.supplier,
            time_range=RANGES["30d"],
            now=timezone.now(),
        )
    assert trend.chart.total == 0
    assert trend.older_than_range and trend.latest == timezone.localdate(IMPORTED)


def test_a_supplier_without_complaints_has_an_empty_trend_in_one_query(
    bob, incident, django_assert_num_queries
):
    with django_assert_num_queries(1):
        trend = selectors.supplier_complaints_trend(
            viewer=bob.viewer,
            supplier=incident.supplier,
            time_range=RANGES["all"],
            now=timezone.now(),
        )
    assert trend.chart.total == 0 and not trend.older_than_range


# --- The portal dashboard -----------------------------------------------------------------------


def test_the_portal_dashboard_takes_the_range_for_its_chart_and_categories(client, carol, incident):
    complaints(incident, [IMPORTED])
    client.force_login(carol)
    recent = client.get(reverse("portal-home"))
    assert recent.context["trend"].range.key == "30d"
    html = recent.content.decode()
    assert "No complaints in the last 30 days; the latest is from" in html
    assert "Top categories, last 30 days" in html
    every = client.get(reverse("portal-home"), {"range": "all"})
    assert every.context["trend"].chart.total == 1
    assert every.context["overview"].top_categories != []
    assert "Top categories, all time" in every.content.decode()


# --- The buyer dashboard ------------------------------------------------------------------------


def test_the_buyer_dashboard_charts_the_network_s_complaints_over_the_range(
    client, bob, acme, incident
):
    now = timezone.now()
    complaints(incident, [now - timedelta(days=2), now - timedelta(days=50)])
    # Another organization's private report is never counted for bob.
    PostMatchFactory(
        post=BuyerPostFactory(
            organization=acme,
            supplier=incident.supplier,
            visibility=Post.Visibility.PRIVATE,
            published_at=now,
            is_complaint=True,
        ),
        supplier=incident.supplier,
        incident=incident,
    )
    client.force_login(bob)
    month = client.get(reverse("buyer-home"))
    assert month.context["trend"].range.key == "30d"
    assert month.context["trend"].chart.total == 1
    assert "Complaints across the network per day, last 30 days" in month.content.decode()
    quarter = client.get(reverse("buyer-home"), {"range": "90d"})
    assert quarter.context["trend"].chart.total == 2
    assert quarter.context["trend"].chart.period == "week"
    wrong = client.get(reverse("buyer-home"), {"range": "0"})
    assert wrong.status_code == 200 and "is not a range" in wrong.content.decode()


def test_the_buyer_dashboard_says_when_the_network_s_complaints_are_older(client, bob, incident):
    complaints(incident, [IMPORTED])
    client.force_login(bob)
    html = client.get(reverse("buyer-home"), {"range": "7d"}).content.decode()
    assert "No complaints in the last 7 days; the latest is from" in html
    assert "12 Mar 2015" in html
