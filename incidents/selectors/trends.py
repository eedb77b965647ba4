"""Trends over a chosen range (charts.TimeRange): evidence counted per day, week or month in the
database, one grouped query, whatever the range, plus one for the span of all the evidence (the
first piece sets where "all time" starts, the latest is said when it is older than the range)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DateField, Max, Min, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from ..charts import TimeRange, Trend, all_time_bucket, trend

TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the bucket `day` falls in (weeks start on Monday)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def evidence_trend(
    evidence: QuerySet[Any],
    *,
    at: str,
    time_range: TimeRange,
    now: datetime,
    title: str,
    unit: str,
    unit_one: str,
    count: Any = None,
) -> Trend:
    """`evidence` (already limited to what the viewer may count) per bucket of `at`, its date,
    over `time_range` up to now. `count` is the aggregate to count with (Count("id") unless
    a join could repeat a row). Two queries at most."""
    today = timezone.localdate(now)
    evidence = evidence.filter(**{f"{at}__lte": now})
    if time_range.days:
        # A range needs only the latest piece (to say when all of it is older): read from the
        # newest down, through the index on `at`, not an aggregate over all the evidence.
        newest = evidence.order_by(f"-{at}").values_list(at, flat=True).first()
        first, latest = None, timezone.localdate(newest) if newest else None
    else:
        span = evidence.aggregate(first=Min(at), latest=Max(at))
        first = timezone.localdate(span["first"]) if span["first"] else None
        latest = timezone.localdate(span["latest"]) if span["latest"] else None
    start = time_range.start(today) or first or today
    bucket = time_range.bucket if time_range.days else all_time_bucket(start, today)
    start = bucket_start(start, bucket)
    counts: dict[date, int] = {}
    if latest is not None and latest >= start:
        since = timezone.make_aware(datetime.combine(start, time.min))
        rows = (
            evidence.filter(**{f"{at}__gte": since})
            .annotate(bucket=TRUNCATE[bucket](at, output_field=DateField()))
            .order_by()
            .values("bucket")
            .annotate(n=count if count is not None else Count("id"))
        )
        counts = {row["bucket"]: row["n"] for row in rows}
    return trend(
        counts,
        time_range=time_range,
        bucket=bucket,
        start=start,
        today=today,
        latest=latest,
        title=title,
        unit=unit,
        unit_one=unit_one,
    )


def complaints_trend(complaints: QuerySet[Any], *, time_range: TimeRange, now: datetime) -> Trend:
    """Posts, each one complaint however many of its matches the query joins, per bucket of
    their publication time: the trend of a supplier's page and of the buyer dashboard."""
    return evidence_trend(
        complaints,
        at="published_at",
        time_range=time_range,
        now=now,
        title="Complaints",
        unit="complaints",
        unit_one="complaint",
        count=Count("id", distinct=True),
    )
