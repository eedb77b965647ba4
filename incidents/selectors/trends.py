"""Trends over a chosen range (charts.TimeRange): complaints per day, week or month, read from
the complaints counted per day (models.ComplaintDay), so a chart costs what its days cost, not
what its posts do: one grouped query, whatever the range, plus one for the span of the counted
days (the first sets where "all time" starts, the latest is said when it is older than the range).

Counted by day, a complaint dated later today than `now` (a source's clock ahead of ours) is in
today's bar already; one dated after today is in none until its day comes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import DateField, F, Max, Min, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from ..charts import TimeRange, Trend, all_time_bucket, trend
from ..models import ComplaintDayQuerySet

TRUNCATE = {"week": TruncWeek, "month": TruncMonth}


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the bucket `day` falls in (weeks start on Monday)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def complaints_trend(days: ComplaintDayQuerySet, *, time_range: TimeRange, now: datetime) -> Trend:
    """The complaints of `days` (daily counts already limited to what the viewer may count:
    ComplaintDay.objects.countable_by) per bucket over `time_range` up to today. One query for
    a range that holds complaints; two otherwise (the span of all time, or the latest day, said
    when the whole range is older)."""
    today = timezone.localdate(now)
    days = days.filter(day__lte=today)
    # A day whose complaints all left keeps its row, at 0: no complaint dates from it.
    counted = days.filter(n__gt=0)
    first = latest = None
    if not time_range.days:
        span = counted.aggregate(first=Min("day"), latest=Max("day"))
        first, latest = span["first"], span["latest"]
    start = time_range.start(today) or first or today
    bucket = time_range.bucket if time_range.days else all_time_bucket(start, today)
    start = bucket_start(start, bucket)
    counts: dict[date, int] = {}
    if time_range.days or latest is not None:
        rows = (
            days.filter(day__gte=start)
            .annotate(
                bucket=F("day")
                if bucket == "day"
                else TRUNCATE[bucket]("day", output_field=DateField())
            )
            .order_by()
            .values("bucket")
            .annotate(total=Sum("n"))
        )
        counts = {row["bucket"]: row["total"] for row in rows}
    if time_range.days and not any(counts.values()):
        # Nothing in the range: the latest day, to say when all of it is older. Read from the
        # newest down through the index on the day, not an aggregate over every day.
        latest = counted.order_by("-day").values_list("day", flat=True).first()
    return trend(
        counts,
        time_range=time_range,
        bucket=bucket,
        start=start,
        today=today,
        latest=latest,
        title="Complaints",
        unit="complaints",
        unit_one="complaint",
    )
