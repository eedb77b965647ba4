"""A supplier's scorecards: score, standing and the figures they were computed from, per period.

A stored scorecard counts only evidence every buyer may count (private reports never), so every
key that may look the supplier up gets the same one; a supplier key reads only its own supplier's.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.selectors import supplier_directory
from supplierwatch.api.permissions import request_viewer

from .. import scoring, selectors
from ..models import Standing
from ..presenters import scorecard_view
from . import examples
from .serializers import SupplierRefSerializer


class ScorecardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=[kind.value for kind in scoring.PeriodKind],
        default=selectors.HEADLINE_PERIOD.value,
        help_text="Which periods: week (starting Monday), month or quarter (UTC).",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=selectors.HISTORY_MAX,
        default=selectors.HISTORY_DEFAULT,
        help_text="How many periods, newest first.",
    )


class FiguresSerializer(serializers.Serializer):
    buyer_reports = serializers.IntegerField(
        help_text="Anonymous and named buyer reports grouped into incidents (never private ones)."
    )
    weighted_reports = serializers.IntegerField(
        help_text="The reports weighted by severity: low 1, medium 2, high 4, critical 8."
    )
    reporting_organizations = serializers.IntegerField(
        help_text="Organizations that reported by name plus organizations that reported "
        "anonymously (one that did both counts in each)."
    )
    public_complaints = serializers.IntegerField(help_text="Public posts grouped into incidents.")
    first_answers_kept = serializers.IntegerField(
        help_text="Incidents whose SLA clock started in the period, answered by the due time."
    )
    first_answers_broken = serializers.IntegerField(
        help_text="Answered late, or unanswered and past due."
    )
    first_answer_median_hours = serializers.FloatField(allow_null=True)
    resolutions_kept = serializers.IntegerField()
    resolutions_broken = serializers.IntegerField()
    resolution_median_hours = serializers.FloatField(allow_null=True)
    reopenings = serializers.IntegerField()
    units_affected = serializers.IntegerField(
        help_text="Quantities affected, where buyer reports give them."
    )
    disputes_upheld = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "The supplier's disputes decided against it (rejected) in the period; "
            "null when none of its disputes was decided."
        ),
    )


class CriterionScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField()
    worst = serializers.FloatField(
        help_text="The figure at which a less-is-better criterion scores 0 (unused for rates)."
    )
    value = serializers.FloatField(allow_null=True, help_text="null: not measured.")
    sub_score = serializers.FloatField(allow_null=True, help_text="0 to 100; null: not measured.")
    lost = serializers.FloatField(help_text="Points of the score this criterion loses.")


class ScorecardPeriodSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="The period's last day.")
    period_label = serializers.CharField(source="label", help_text='"November 2026"')
    in_progress = serializers.BooleanField(help_text="The period has not ended yet.")
    score = serializers.FloatField(allow_null=True, help_text="0 to 100.")
    standing = serializers.CharField(help_text="Empty when no standing applies.")
    computed_at = serializers.DateTimeField()
    figures = FiguresSerializer()
    criteria = CriterionScoreSerializer(many=True)


class StandingSerializer(serializers.Serializer):
    name = serializers.CharField()
    min_score = serializers.FloatField()


class ScorecardSerializer(serializers.Serializer):
    supplier = SupplierRefSerializer()
    period = serializers.CharField()
    standings = StandingSerializer(many=True)
    periods = ScorecardPeriodSerializer(many=True)


@extend_schema(
    summary="Scorecards of a supplier",
    description="The supplier's score (0 to 100) and standing per week, month or quarter, newest "
    "first, with every figure it was computed from and each criterion's weight, sub-score and "
    "points lost. Computed hourly from evidence every buyer may count; a period in which nothing "
    "happened has no scorecard. Supplier keys read only their own supplier's.",
    parameters=[ScorecardQuerySerializer],
    responses=ScorecardSerializer,
    examples=[examples.SCORECARD],
)
class SupplierScorecardView(generics.GenericAPIView):
    serializer_class = ScorecardSerializer
    pagination_class = None
    filter_backends: list[type] = []

    def get(self, request: Request, slug: str) -> Response:
        viewer = request_viewer(request)
        suppliers = supplier_directory(
            organization_id=viewer.organization_id, supplier_id=viewer.supplier_id
        )
        supplier = get_object_or_404(suppliers, slug=slug)
        # A plain dict, not the QueryDict: DRF reads an empty HTML-form value as "not given",
        # and `period=` is a mistake to refuse, as the incident filters do.
        query = ScorecardQuerySerializer(data=dict(request.query_params.items()))
        query.is_valid(raise_exception=True)
        today = timezone.now().date()
        stored = selectors.supplier_scorecards(
            supplier=supplier,
            period=query.validated_data["period"],
            limit=query.validated_data["limit"],
        )
        standings = Standing.objects.values_list("name", "min_score")
        body = {
            "supplier": supplier,
            "period": query.validated_data["period"],
            "standings": [{"name": name, "min_score": lowest} for name, lowest in standings],
            "periods": [scorecard_view(scorecard, today=today) for scorecard in stored],
        }
        return Response(ScorecardSerializer(body).data)
