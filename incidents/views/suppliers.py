"""The supplier directory (/suppliers/) and the scorecard part of the pages that show one supplier
(its page for buyers, the portal's scorecard page for its own staff).

Who may look which supplier up is suppliers.selectors.supplier_directory's rule (through
selectors.directory_suppliers); what of a scorecard is shown is presenters.scorecard_view's.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from suppliers.models import Supplier
from supplierwatch.inputs import InputError
from supplierwatch.viewers import Viewer

from .. import scoring, selectors
from ..presenters import scorecard_view
from .common import buyer_or_operator_required, page_of, supplier_staff_required

SUPPLIERS_PER_PAGE = 25
# Longer queries are cut: no supplier name, alias or vendor code is this long.
QUERY_MAX = 200
PERIOD_CHOICES = [(kind.value, kind.value.title()) for kind in scoring.PeriodKind]


def scorecard_context(request: HttpRequest, supplier: Supplier) -> dict[str, Any]:
    """`scorecard` (the latest stored period, or None), `scorecard_history` (newest first) and
    `scorecard_period` (week, month or quarter: the `period` parameter, month by default) for
    templates/incidents/_scorecard.html."""
    period = request.GET.get("period", selectors.HEADLINE_PERIOD)
    if period not in {kind.value for kind in scoring.PeriodKind}:
        period = selectors.HEADLINE_PERIOD
    today = timezone.now().date()
    history = [
        scorecard_view(scorecard, today=today)
        for scorecard in selectors.supplier_scorecards(supplier=supplier, period=period)
    ]
    return {
        "scorecard": history[0] if history else None,
        "scorecard_history": history,
        "scorecard_period": str(period),
        "scorecard_periods": PERIOD_CHOICES,
    }


@buyer_or_operator_required
@require_GET
def supplier_directory(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    mine = viewer.is_buyer and request.GET.get("mine") == "1"
    sort = request.GET.get("sort", "")
    if sort not in selectors.DIRECTORY_SORTS:
        sort = "name"
    today = timezone.now().date()
    error = ""
    try:
        suppliers = selectors.directory_suppliers(
            viewer=viewer, query=query, mine=mine, sort=sort, today=today
        )
    except InputError as refusal:
        error = refusal.reason
        suppliers = Supplier.objects.none()
    period_start = scoring.period_start(selectors.HEADLINE_PERIOD, today)
    context = {
        "suppliers": page_of(request, suppliers, "page", SUPPLIERS_PER_PAGE),
        "query": query,
        "mine": mine,
        "sort": sort,
        "sorts": [(key, choice.label) for key, choice in selectors.DIRECTORY_SORTS.items()],
        "error": error,
        "period_label": scoring.period_label(selectors.HEADLINE_PERIOD, period_start),
        "previous_label": scoring.period_label(
            selectors.HEADLINE_PERIOD,
            scoring.period_before(selectors.HEADLINE_PERIOD, period_start),
        ),
    }
    return render(request, "incidents/supplier_directory.html", context)


@supplier_staff_required
@require_GET
def portal_scorecard(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The supplier's own scorecard, with what would raise it."""
    supplier_id = viewer.supplier_id
    assert supplier_id is not None  # supplier_staff_required
    supplier = Supplier.objects.get(pk=supplier_id)
    context = {"supplier": supplier, **scorecard_context(request, supplier)}
    return render(request, "portal/scorecard.html", context)
