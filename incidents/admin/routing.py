"""Suppliers' assignment rules, for operators to read (and delete, through the service): their
admins write them on the portal's rules page, where a rule's colleagues are checked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from suppliers.models import person

from .. import services
from ..models import RoutingRule
from .common import ReadOnlyAdmin

RULE_FIELDS = (
    "supplier",
    "name",
    "position",
    "category",
    "severity_match",
    "severity",
    "sku_prefix",
    "lot_prefix",
    "source",
    "assignees",
    "turn",
    "created_at",
    "updated_at",
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "supplier", "position", "category", "severity", "source", "turn"]
    list_filter = ["supplier"]
    search_fields = ["name", "supplier__name"]
    list_select_related = ["supplier", "category"]
    ordering = ["supplier__name", "position", "pk"]
    fields = RULE_FIELDS
    readonly_fields = RULE_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        services.routing_rule_delete(actor=person(request.user), rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)
