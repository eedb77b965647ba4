"""Reads about one supplier's incidents: its page (categories, the trend of complaints) and the
API's scorecard. Every count is over what the viewer may see."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from suppliers.models import Supplier
from supplierwatch.viewers import Viewer

from ..models import Incident, Post, Severity, overdue_condition

OPEN = Q(status__in=Incident.OPEN_STATUSES)


def supplier_category_breakdown(*, viewer: Viewer, supplier: Supplier) -> list[Mapping[str, Any]]:
    """[{category name, total, open}] over the supplier's incidents this viewer may see."""
    return list(
        Incident.objects.visible_to(viewer)
        .filter(supplier=supplier)
        .order_by()
        .values("category__name")
        .annotate(total=Count("id"), open=Count("id", filter=OPEN))
        .order_by("-total", "category__name")
    )


def supplier_complaints_per_day(
    *, viewer: Viewer, supplier: Supplier, since: datetime
) -> dict[date, int]:
    """Complaints about this supplier that the viewer may read, grouped into incidents, by day."""
    rows = (
        Post.objects.visible_to(viewer)
        .filter(
            matches__supplier=supplier,
            matches__incident__isnull=False,
            published_at__gte=since,
        )
        .annotate(day=TruncDate("published_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("id", distinct=True))
    )
    return {row["day"]: row["n"] for row in rows}


def supplier_scorecard(*, viewer: Viewer, supplier: Supplier) -> dict[str, Any]:
    """Counts of the supplier's incidents this viewer may see: by status, category and severity."""
    incidents = Incident.objects.visible_to(viewer).filter(supplier=supplier).order_by()
    totals = incidents.aggregate(
        total=Count("id"),
        open=Count("id", filter=OPEN),
        overdue=Count("id", filter=overdue_condition(timezone.now())),
        posts=Coalesce(Sum("post_count"), 0),
    )
    by_status = dict(incidents.values_list("status").annotate(n=Count("id")))
    by_severity = dict(incidents.values_list("severity").annotate(n=Count("id")))
    by_category = list(
        incidents.values("category__slug", "category__name")
        .annotate(n=Count("id"), open=Count("id", filter=OPEN))
        .order_by("-n", "category__slug")
    )
    return {
        **totals,
        "by_status": {status: by_status.get(status, 0) for status in Incident.Status.values},
        "by_severity": {severity.slug: by_severity.get(severity.value, 0) for severity in Severity},
        "by_category": [
            {
                "category": row["category__slug"],
                "name": row["category__name"] or "Uncategorised",
                "incidents": row["n"],
                "open": row["open"],
            }
            for row in by_category
        ],
    }
