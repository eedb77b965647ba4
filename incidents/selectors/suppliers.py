"""Reads about one supplier's incidents for its page: categories and the trend of complaints.
Every count is over what the viewer may see."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from suppliers.models import Supplier
from supplierwatch.viewers import Viewer

from ..charts import TimeRange, Trend
from ..models import ComplaintDay, Incident
from .trends import complaints_trend

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


def supplier_complaints_trend(
    *, viewer: Viewer, supplier: Supplier, time_range: TimeRange, now: datetime
) -> Trend:
    """Complaints about this supplier that the viewer may count, grouped into incidents, over
    the range (selectors.trends: two queries)."""
    days = ComplaintDay.objects.countable_by(viewer).filter(supplier=supplier)
    return complaints_trend(days, time_range=time_range, now=now)
