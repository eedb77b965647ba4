from django.contrib import admin
from django.http import HttpRequest

from .models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "response_status", "created_at"]
    search_fields = ["key", "user__email"]
    readonly_fields = [field.name for field in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded by the API, never by hand
