"""Complaints counted per day: the rollup the trends and top categories of the dashboards read,
so their cost follows the number of days shown, not the number of posts."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from suppliers.models import Organization, Supplier
from supplierwatch.viewers import viewer_of

from .values import Who


class ComplaintDayQuerySet(models.QuerySet["ComplaintDay"]):
    def countable_by(self, who: Who) -> ComplaintDayQuerySet:
        """The rows this viewer may count, as Post.objects.visible_to lets it read complaints:
        operators all; a buyer the shared ones and its own organization's private reports; a
        supplier's staff the shared complaints about their own supplier."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_buyer:
            return self.filter(Q(private_to__isnull=True) | Q(private_to=viewer.organization_id))
        if viewer.is_supplier_staff:
            return self.filter(supplier_id=viewer.supplier_id, private_to__isnull=True)
        return self.none()


class ComplaintDay(models.Model):
    """How many complaints grouped into incidents (primary matches with an incident) were
    published on one day (in the project's time zone) about one supplier, in one category (the
    complaint's own: Post.predicted_category, which a merge or a split of incidents never
    changes), shared with every party that may count it or private to one organization.

    Kept by services.complaint_days wherever grouped evidence appears or leaves, and rebuilt
    and checked by `manage.py recount_incidents`. A row whose complaints all left stays, at 0.
    """

    day = models.DateField()
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    # No constraint: when a category is deleted its rows join the uncategorised ones
    # (services.deletions), as its complaints lose it.
    category = models.ForeignKey(
        "Category",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The organization of private reports; empty for whatever every party may count.
    private_to = models.ForeignKey(
        Organization, null=True, on_delete=models.CASCADE, related_name="+"
    )
    n = models.IntegerField(default=0)

    objects = ComplaintDayQuerySet.as_manager()

    # The key the upsert names (services.complaint_days): empty ids as 0, so that a unique
    # index finds them (NULLs are never equal), on PostgreSQL and SQLite alike.
    KEY = ("day", "supplier_id", "COALESCE(category_id, 0)", "COALESCE(private_to_id, 0)")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                F("day"),
                F("supplier"),
                Coalesce(F("category"), Value(0)),
                Coalesce(F("private_to"), Value(0)),
                name="complaint_day_key",
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "day"], name="complaint_day_supplier"),
            # The network's days from the index alone (what every buyer may count is decided
            # by private_to): the buyer dashboard reads no row of the table.
            models.Index(fields=["day", "private_to", "n"], name="complaint_day_network"),
        ]

    def __str__(self) -> str:
        return f"{self.day} supplier {self.supplier_id}: {self.n}"
