"""Keyword monitors, for operators to look at: each party keeps its own on the monitors page."""

from __future__ import annotations

from django.contrib import admin

from ..models import KeywordMonitor
from .common import ReadOnlyAdmin


@admin.register(KeywordMonitor)
class KeywordMonitorAdmin(ReadOnlyAdmin):
    list_display = ["name", "query", "organization", "supplier", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "query", "organization__name", "supplier__name"]
    list_select_related = ["organization", "supplier"]
    fields = [
        "name",
        "query",
        "organization",
        "supplier",
        "suppliers",
        "watchers",
        "created_by",
        "is_active",
        "created_at",
        "updated_at",
    ]
