"""Reads about one supplier's incidents for its page: categories and the trend of complaints.
Every count is over what the viewer may see."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from suppliers.models import Supplier
from supplierwatch.viewers import Viewer

from ..models import Incident, Post

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
