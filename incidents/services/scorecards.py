"""Scorecards: each supplier's figures for one period, read from the database in one query per
question (not per supplier), scored by incidents.scoring and stored as Scorecard rows.

What counts is the evidence every buyer may count: anonymous and named buyer reports and public
posts grouped into incidents, and the SLA figures and reopenings of incidents that have such
evidence. A private report never counts, so the stored scorecard is the one every viewer sees and
no viewer learns from it what it may not count (DESIGN.md, "Visibility of evidence").

A supplier with nothing in a period (no report, no public complaint, no promise, no reopening) has
no scorecard for it: there is nothing to score, rather than a perfect score.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import scoring
from ..models import (
    Dispute,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Scorecard,
    ScoringCriterion,
    Standing,
)

logger = logging.getLogger(__name__)

SHAREABLE_REPORTS = (Post.Visibility.ANONYMOUS, Post.Visibility.NAMED)


def scorecard_figures(*, period: str, start: date, as_of: datetime) -> dict[int, scoring.Figures]:
    """{supplier id: figures} of every supplier with something in the period starting `start`.
    Promises not kept and past due as of `as_of` count as broken."""
    begin, end = scoring.period_bounds(period, start)
    figures: dict[int, dict[str, object]] = defaultdict(dict)

    for row in _buyer_reports(begin, end):
        figures[row["supplier_id"]].update(
            buyer_reports=row["reports"],
            weighted_reports=row["weighted"],
            # Two distinct counts, each over evidence whose reporters are all named or all
            # anonymous: their sum never tells whether the two sets overlap (scoring.Figures).
            reporting_organizations=row["named_organizations"] + row["anonymous_organizations"],
            units_affected=row["units"],
        )

    public = (
        PostMatch.objects.filter(
            incident__isnull=False,
            post__visibility=Post.Visibility.PUBLIC,
            post__published_at__gte=begin,
            post__published_at__lt=end,
        )
        .order_by()
        .values("supplier_id")
        .annotate(n=Count("post_id", distinct=True))
    )
    for public_row in public:
        figures[public_row["supplier_id"]]["public_complaints"] = public_row["n"]

    for supplier_id, rows in _sla_rows(begin, end).items():
        answers = scoring.promises(((r[0], r[1], r[2]) for r in rows), as_of=as_of)
        resolutions = scoring.promises(((r[3], r[4], r[5]) for r in rows), as_of=as_of)
        figures[supplier_id].update(
            first_answers_kept=answers.kept,
            first_answers_broken=answers.broken,
            first_answer_median_hours=answers.median_hours,
            resolutions_kept=resolutions.kept,
            resolutions_broken=resolutions.broken,
            resolution_median_hours=resolutions.median_hours,
        )

    reopenings = (
        IncidentEvent.objects.filter(
            Q(kind=IncidentEvent.Kind.REOPENED)
            | Q(kind=IncidentEvent.Kind.STATUS_CHANGED, data__to=Incident.Status.REOPENED),
            created_at__gte=begin,
            created_at__lt=end,
            incident__post_count__gt=0,
        )
        .order_by()
        .values("incident__supplier_id")
        .annotate(n=Count("id"))
    )
    for reopened in reopenings:
        figures[reopened["incident__supplier_id"]]["reopenings"] = reopened["n"]

    decided = (
        Dispute.objects.exclude(status=Dispute.Status.OPEN)
        .filter(decided_at__gte=begin, decided_at__lt=end)
        .order_by()
        .values("supplier_id")
        .annotate(upheld=Count("id", filter=Q(status=Dispute.Status.REJECTED)))
    )
    for dispute_row in decided:
        if dispute_row["supplier_id"] in figures:
            figures[dispute_row["supplier_id"]]["disputes_upheld"] = dispute_row["upheld"]

    built = {supplier_id: scoring.Figures(**data) for supplier_id, data in figures.items()}  # type: ignore[arg-type]
    return {supplier_id: f for supplier_id, f in built.items() if not f.is_empty}


def _buyer_reports(begin: datetime, end: datetime) -> Iterable[Mapping[str, Any]]:
    """Per supplier: shareable buyer reports grouped into an incident, published in [begin, end)."""
    weight = Case(
        *[When(severity=s, then=Value(w)) for s, w in scoring.SEVERITY_WEIGHTS.items()],
        default=Value(scoring.severity_weight(None)),
        output_field=IntegerField(),
    )
    grouped = PostMatch.objects.filter(
        post=OuterRef("pk"), supplier=OuterRef("supplier"), incident__isnull=False
    )
    return (
        Post.objects.filter(
            Exists(grouped),
            source=Post.BUYER_SOURCE,
            visibility__in=SHAREABLE_REPORTS,
            published_at__gte=begin,
            published_at__lt=end,
        )
        .order_by()
        .values("supplier_id")
        .annotate(
            reports=Count("id"),
            weighted=Sum(weight),
            named_organizations=Count(
                "organization_id", distinct=True, filter=Q(visibility=Post.Visibility.NAMED)
            ),
            anonymous_organizations=Count(
                "organization_id", distinct=True, filter=Q(visibility=Post.Visibility.ANONYMOUS)
            ),
            units=Coalesce(Sum("quantity_affected"), 0),
        )
    )


def _sla_rows(begin: datetime, end: datetime) -> dict[int, list[tuple]]:
    """Per supplier: the promises of the incidents whose SLA clock started in [begin, end)."""
    rows = (
        Incident.objects.filter(post_count__gt=0, sla_started_at__gte=begin, sla_started_at__lt=end)
        .order_by()
        .values_list(
            "supplier_id",
            "acknowledge_due_at",
            "acknowledged_at",
            "time_to_first_answer",
            "resolve_due_at",
            "resolved_at",
            "time_to_resolution",
        )
    )
    by_supplier: dict[int, list[tuple]] = defaultdict(list)
    for supplier_id, *promises in rows:
        by_supplier[supplier_id].append(tuple(promises))
    return by_supplier


def scoring_rules() -> tuple[list[scoring.Criterion], list[tuple[str, float]]]:
    """The criteria and standings as operators have set them."""
    criteria = [row.as_criterion() for row in ScoringCriterion.objects.all()]
    standings = list(Standing.objects.values_list("name", "min_score"))
    return criteria, standings


@transaction.atomic
def scorecards_compute(*, period: str, start: date, now: datetime | None = None) -> int:
    """Store the scorecards of every supplier for the period starting `start` (a period's first
    day: scoring.period_start), replacing what was stored for it; how many were stored. Safe to
    run twice: the same evidence gives the same rows."""
    now = now or timezone.now()
    period = scoring.PeriodKind(period).value
    if scoring.period_start(period, start) != start:
        raise ValueError(f"{start} does not start a {period}")
    figures = scorecard_figures(period=period, start=start, as_of=now)
    criteria, standings = scoring_rules()
    rows = []
    for supplier_id, supplier_figures in figures.items():
        result = scoring.score(supplier_figures, criteria)
        rows.append(
            Scorecard(
                supplier_id=supplier_id,
                period=period,
                period_start=start,
                figures=supplier_figures.as_dict(),
                criteria=[c.__dict__ for c in result.criteria],
                score=result.score,
                standing=scoring.standing(result.score, standings),
                computed_at=now,
            )
        )
    Scorecard.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["supplier", "period", "period_start"],
        update_fields=["figures", "criteria", "score", "standing", "computed_at"],
    )
    # Suppliers whose evidence has left the period since (moved, deleted) lose its scorecard.
    Scorecard.objects.filter(period=period, period_start=start).exclude(computed_at=now).delete()
    return len(rows)


def scorecards_compute_current(*, now: datetime | None = None) -> dict[str, int]:
    """The current and the last closed period of every kind: what the scheduled task keeps fresh
    (a late answer or a reopening can still change the period just closed)."""
    now = now or timezone.now()
    today = now.date()
    stored = {}
    for kind in scoring.PeriodKind:
        current = scoring.period_start(kind, today)
        for start in (scoring.period_before(kind, current), current):
            stored[f"{kind.value} {start}"] = scorecards_compute(period=kind, start=start, now=now)
    return stored


def scorecards_recompute(
    *, periods: Iterable[str], since: date | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Every period of these kinds from `since` (default: the first evidence) to today."""
    now = now or timezone.now()
    if since is None:
        first = Post.objects.order_by("published_at").values_list("published_at", flat=True)
        first_seen = first.first()
        since = first_seen.date() if first_seen else now.date()
    stored = {}
    for kind in periods:
        for start in scoring.periods_between(kind, since, now.date()):
            stored[f"{kind} {start}"] = scorecards_compute(period=kind, start=start, now=now)
    return stored
