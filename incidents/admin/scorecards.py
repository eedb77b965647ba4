"""The scorecard's criteria and standings, which operators edit, and the stored scorecards, which
only the scheduled task and `recompute_scorecards` write. A change of weights or thresholds applies
to the periods computed from then on; `manage.py recompute_scorecards` rewrites the past ones."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ..models import Scorecard, ScoringCriterion, Standing
from .common import ReadOnlyAdmin


@admin.register(ScoringCriterion)
class ScoringCriterionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "weight", "worst", "position"]
    list_editable = ["weight", "worst", "position"]
    fields = ["key", "weight", "worst", "position"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A criterion is a figure the code computes: its key is not the operators' to change.
        return ["key"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Every criterion the code computes is seeded by a migration.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Weight 0 leaves a criterion out; deleting it would only hide that choice.
        return False


@admin.register(Standing)
class StandingAdmin(admin.ModelAdmin):
    list_display = ["name", "min_score"]
    list_editable = ["min_score"]


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "period", "period_start", "score", "standing", "computed_at"]
    list_filter = ["period", "standing"]
    search_fields = ["supplier__name"]
    list_select_related = ["supplier"]
    date_hierarchy = "period_start"
    fields = (
        "supplier",
        "period",
        "period_start",
        "score",
        "standing",
        "figures",
        "criteria",
        "computed_at",
    )
    readonly_fields = fields
