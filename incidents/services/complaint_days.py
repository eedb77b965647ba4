"""The complaints counted per day (models.ComplaintDay): kept by adding what a write brings and
taking back what it removes, rebuilt and checked by `manage.py recount_incidents`.

A complaint counts where its primary match is grouped into an incident: its publication day (in
the project's time zone), its supplier, its own category (Post.predicted_category) and, for a
private report, its organization. Merges and splits move evidence between incidents of one
supplier and change none of these, so only the paths that group, regroup or remove evidence
write here: processing (services.processing), a post's correction and its deletion
(services.posts).

Each write is one upsert of the net change per row, its keys sorted, issued after the writer's
incident locks: two workers adding to one row wait for each other in the same order, never in a
cycle, and the second adds to what the first committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import ComplaintDay, Post, PostMatch

# (day, supplier id, category id or None, organization id of a private report or None)
Key = tuple[date, int, int | None, int | None]


def complaint_key(
    *,
    published_at: datetime,
    supplier_id: int,
    category_id: int | None,
    visibility: str,
    organization_id: int | None,
) -> Key:
    """The row a grouped complaint counts in."""
    day = timezone.localtime(published_at, timezone.get_default_timezone()).date()
    private_to = organization_id if visibility == Post.Visibility.PRIVATE else None
    return (day, supplier_id, category_id, private_to)


def grouped_evidence(post_ids: Iterable[int]) -> list[tuple[int, int, Key | None]]:
    """Each grouped match of these posts as stored now (one query): (post id, incident id, the
    row it counts in, None for a match that is not primary)."""
    rows = PostMatch.objects.filter(post_id__in=list(post_ids), incident__isnull=False)
    return [
        (
            post_id,
            incident_id,
            complaint_key(
                published_at=at,
                supplier_id=supplier_id,
                category_id=category_id,
                visibility=visibility,
                organization_id=organization_id,
            )
            if primary
            else None,
        )
        for post_id, incident_id, primary, supplier_id, at, category_id, visibility, organization_id in rows.values_list(
            "post_id",
            "incident_id",
            "is_primary",
            "supplier_id",
            "post__published_at",
            "post__predicted_category_id",
            "post__visibility",
            "post__organization_id",
        )
    ]


def grouped_complaints(post_ids: Iterable[int]) -> Counter[Key]:
    """What these posts' grouped evidence counts in the rollup as stored now (one query): read
    before a write takes it away, and after a write that changed the posts in place."""
    return Counter(key for _, _, key in grouped_evidence(post_ids) if key is not None)


def complaint_days_add(changes: Mapping[Key, int]) -> None:
    """Add these changes (negative: taken back) to the rollup in one upsert, keys sorted."""
    rows = sorted(
        ((key, n) for key, n in changes.items() if n),
        key=lambda row: (row[0][0], row[0][1], row[0][2] or 0, row[0][3] or 0),
    )
    if not rows:
        return
    table = connection.ops.quote_name(ComplaintDay._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (day, supplier_id, category_id, private_to), n in rows:
        params.extend([day, supplier_id, category_id, private_to, n])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, supplier_id, category_id, private_to_id, n) "  # noqa: S608 - the model's own table
            f"VALUES {values} ON CONFLICT ({', '.join(ComplaintDay.KEY)}) "
            f"DO UPDATE SET n = {table}.n + EXCLUDED.n",
            params,
        )


def counted_by_day() -> QuerySet[Any, Any]:
    """The rollup counted anew from the grouped evidence, one row per key: `day`, `supplier`,
    `category`, `private_to` and `n`."""
    private = When(post__visibility=Post.Visibility.PRIVATE, then=F("post__organization_id"))
    return (
        PostMatch.objects.filter(is_primary=True, incident__isnull=False)
        .annotate(
            day=TruncDate("post__published_at", tzinfo=timezone.get_default_timezone()),
            key_supplier=F("supplier_id"),
            key_category=F("post__predicted_category_id"),
            key_private_to=Case(private, default=None, output_field=IntegerField()),
        )
        .values("day", "key_supplier", "key_category", "key_private_to")
        .annotate(n=Count("id"))
        .order_by()
    )


def _recounted() -> Counter[Key]:
    return Counter(
        {
            (row["day"], row["key_supplier"], row["key_category"], row["key_private_to"]): row["n"]
            for row in counted_by_day().iterator(chunk_size=5000)
        }
    )


def _stored() -> Counter[Key]:
    stored: Counter[Key] = Counter()
    rows = ComplaintDay.objects.exclude(n=0).values_list(
        "day", "supplier_id", "category_id", "private_to_id", "n"
    )
    for day, supplier_id, category_id, private_to, n in rows.iterator(chunk_size=5000):
        stored[(day, supplier_id, category_id, private_to)] += n
    return stored


@dataclass(frozen=True)
class DayDrift:
    """A stored daily count that differs from its recount."""

    key: Key
    stored: int
    counted: int


@dataclass
class DaysCheck:
    rows: int = 0
    drift: list[DayDrift] = field(default_factory=list)
    repaired: bool = False


def complaint_days_drift() -> list[DayDrift]:
    """Every row the rollup would change if counted anew (a read: nothing locked or written)."""
    stored, counted = _stored(), _recounted()
    return [
        DayDrift(key, stored.get(key, 0), counted.get(key, 0))
        for key in sorted(stored.keys() | counted.keys(), key=_sort_key)
        if stored.get(key, 0) != counted.get(key, 0)
    ]


def _sort_key(key: Key) -> tuple[date, int, int, int]:
    return (key[0], key[1], key[2] or 0, key[3] or 0)


@transaction.atomic
def complaint_days_rebuild() -> None:
    """Count the whole rollup anew from the grouped evidence, in one INSERT ... SELECT (the
    repair, and the bench's seeding). The table is locked meanwhile: a batch adding to it waits
    and then adds its change to the rebuilt rows."""
    table = connection.ops.quote_name(ComplaintDay._meta.db_table)
    select, params = counted_by_day().query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the model's own table
        cursor.execute(
            f"INSERT INTO {table} (day, supplier_id, category_id, private_to_id, n) "  # noqa: S608
            f"SELECT c.day, c.key_supplier, c.key_category, c.key_private_to, c.n "
            f"FROM ({select}) AS c",
            params,
        )


def complaint_days_check(*, repair: bool) -> DaysCheck:
    """Compare the rollup with a recount; with `repair`, rebuild it when they differ. A
    difference is confirmed with the table locked, so a batch committing meanwhile is not
    taken for drift."""
    result = DaysCheck(rows=ComplaintDay.objects.count())
    if not complaint_days_drift():
        return result
    with transaction.atomic():
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(ComplaintDay._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        result.drift = complaint_days_drift()
        if repair and result.drift:
            complaint_days_rebuild()
            result.repaired = True
    return result
