"""Reads of the stored scorecards: one supplier's history, and the supplier directory with each
supplier's current score and the open incidents the viewer may see.

A stored scorecard counts only evidence every buyer may count (services.scorecards), so it is the
same for every viewer who may look the supplier up (suppliers.selectors.supplier_directory: every
buyer and operator; a supplier's staff only their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import OrderBy

from suppliers.models import Supplier, VendorCode
from suppliers.selectors import supplier_directory
from supplierwatch.viewers import Viewer

from .. import scoring
from ..models import Incident, Scorecard

# The period the directory and the headline of a supplier's page show.
HEADLINE_PERIOD = scoring.PeriodKind.MONTH
# How many periods of history the pages and the API show by default, and at most.
HISTORY_DEFAULT = 12
HISTORY_MAX = 60


@dataclass(frozen=True)
class DirectorySort:
    label: str  # as the directory's sort field offers it
    order_by: tuple[str | OrderBy, ...]


# The directory's orders, by the `sort` it is sent; suppliers without a score (or without open
# incidents) come last whichever way, then by name.
DIRECTORY_SORTS: dict[str, DirectorySort] = {
    "name": DirectorySort("Name", ("name", "pk")),
    "best": DirectorySort("Best score first", (F("score").desc(nulls_last=True), "name", "pk")),
    "worst": DirectorySort("Worst score first", (F("score").asc(nulls_last=True), "name", "pk")),
    "fallen": DirectorySort(
        "Biggest fall first",
        (F("score_change").asc(nulls_last=True), "name", "pk"),
    ),
    "open": DirectorySort(
        "Most open incidents first", (F("open_incidents").desc(nulls_last=True), "name", "pk")
    ),
}


def supplier_scorecards(
    *, supplier: Supplier, period: str = HEADLINE_PERIOD, limit: int = HISTORY_DEFAULT
) -> list[Scorecard]:
    """The supplier's stored scorecards of this kind of period, newest first."""
    return list(
        Scorecard.objects.filter(supplier=supplier, period=period).order_by("-period_start")[
            : max(1, min(limit, HISTORY_MAX))
        ]
    )


def directory_suppliers(
    *, viewer: Viewer, query: str = "", mine: bool = False, sort: str = "name", today: date
) -> QuerySet[Supplier]:
    """The suppliers this viewer may look up whose name, alias or (its organization's) vendor
    code the query finds, in the order `sort` names (DIRECTORY_SORTS; by name otherwise);
    "mine" keeps those with the viewer's organization's vendor codes (buyers only). Each carries
    `score` and `standing` of the current HEADLINE_PERIOD (None when it has no scorecard),
    `previous_score` and `previous_standing` of the one before, `score_change` (score minus
    previous score, None unless both exist) and `open_incidents` (those the viewer may see).
    A query the search rule refuses raises its InputError."""
    suppliers = supplier_directory(
        organization_id=viewer.organization_id, supplier_id=viewer.supplier_id, query=query
    )
    if mine and viewer.organization_id is not None:
        suppliers = suppliers.filter(
            Exists(
                VendorCode.objects.filter(
                    supplier=OuterRef("pk"), organization_id=viewer.organization_id
                )
            )
        )
    this_period = scoring.period_start(HEADLINE_PERIOD, today)
    current = Scorecard.objects.filter(
        supplier=OuterRef("pk"), period=HEADLINE_PERIOD, period_start=this_period
    )
    previous = Scorecard.objects.filter(
        supplier=OuterRef("pk"),
        period=HEADLINE_PERIOD,
        period_start=scoring.period_before(HEADLINE_PERIOD, this_period),
    )
    open_incidents = (
        Incident.objects.visible_to(viewer)
        .open()
        .filter(supplier=OuterRef("pk"))
        .order_by()
        .values("supplier_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return (
        suppliers.annotate(
            score=Subquery(current.values("score")[:1]),
            standing=Subquery(current.values("standing")[:1]),
            previous_score=Subquery(previous.values("score")[:1]),
            previous_standing=Subquery(previous.values("standing")[:1]),
            open_incidents=Subquery(open_incidents, output_field=IntegerField()),
        )
        .annotate(score_change=F("score") - F("previous_score"))
        .order_by(*DIRECTORY_SORTS.get(sort, DIRECTORY_SORTS["name"]).order_by)
    )
