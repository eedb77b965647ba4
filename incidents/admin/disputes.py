"""The operators' queue of disputes: a supplier's claims that evidence is not a complaint or not
about it, open ones first. Accepting and rejecting go through the services (services.disputes),
which record the decision on the timeline, tell the parties and take accepted evidence out."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from suppliers.models import person

from .. import services
from ..models import Dispute
from .common import apply_each


class DecisionFilter(admin.SimpleListFilter):
    """Open disputes unless asked otherwise: the changelist is the operators' queue."""

    title = "decision"
    parameter_name = "decision"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*Dispute.Status.choices, ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or Dispute.Status.OPEN) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
        value = self.value() or Dispute.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = [
        "opened_at",
        "supplier",
        "reason",
        "evidence",
        "incident",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = [DecisionFilter, "reason", "supplier"]
    list_select_related = ["supplier", "incident", "post", "decided_by"]
    search_fields = ["post__text", "post__external_id", "note", "supplier__name"]
    ordering = ["opened_at", "id"]
    fields = (
        "post",
        "evidence",
        "incident",
        "supplier",
        "reason",
        "note",
        "opened_by",
        "opened_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields
    actions = ["accept", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the supplier's staff open disputes, in the portal or over the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a decision is part of the record

    @admin.display(description="evidence")
    def evidence(self, obj: Dispute) -> str:
        text = obj.post.text
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.action(description="Accept: take the evidence out", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> None:
        actor = person(request.user)
        apply_each(
            self,
            request,
            queryset,
            lambda dispute: services.dispute_accept(dispute=dispute, actor=actor),
            "dispute(s) accepted; the evidence is being regrouped",
        )

    @admin.action(description="Reject: the evidence stays", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> None:
        actor = person(request.user)
        apply_each(
            self,
            request,
            queryset,
            lambda dispute: services.dispute_reject(dispute=dispute, actor=actor),
            "dispute(s) rejected",
        )
