"""Operators' view of notifications: what was told to whom, and which e-mails failed and why.
Read-only: notifications are made by the outbox and changed by their recipients."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import DigestSchedule, Notification, NotificationPreference


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "recipient",
        "kind",
        "created_at",
        "read_at",
        "email_status",
        "email_attempts",
        "email_error",
    ]
    # "Failed" among the e-mail statuses: the sends that gave up, with their last error.
    list_filter = ["email_status", "kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "recipient__email", "email_error"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "delivery", "updated_at"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(DigestSchedule)
class DigestScheduleAdmin(ReadOnlyAdmin):
    list_display = ["user", "hour", "time_zone", "last_sent_on"]
    list_filter = ["hour"]
    search_fields = ["user__email", "time_zone"]
    list_select_related = ["user"]
