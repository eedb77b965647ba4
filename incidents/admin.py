from django.contrib import admin
from django.db import models

from .models import Category, Incident, IncidentEvent, Post, PostMatch, Response


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class PostMatchInline(admin.TabularInline):
    model = PostMatch
    extra = 0
    fields = ["supplier", "matched_text", "start", "end", "confidence", "is_primary", "incident"]
    raw_id_fields = ["supplier", "incident", "alias"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "__str__",
        "short_text",
        "supplier",
        "organization",
        "visibility",
        "status",
        "is_complaint",
        "predicted_category",
        "published_at",
    ]
    list_filter = ["status", "visibility", "source", "is_complaint", "category", "severity"]
    search_fields = ["external_id", "text", "author_handle", "po_number", "sku", "lot"]
    list_select_related = ["supplier", "organization", "predicted_category"]
    raw_id_fields = ["author", "organization", "supplier"]
    date_hierarchy = "published_at"
    readonly_fields = ["created_at", "status_changed_at"]
    inlines = [PostMatchInline]

    @admin.display(description="Text")
    def short_text(self, obj: Post) -> str:
        return obj.text[:80]


@admin.register(PostMatch)
class PostMatchAdmin(admin.ModelAdmin):
    list_display = ["post", "supplier", "matched_text", "confidence", "is_primary", "incident"]
    list_filter = ["is_primary", "supplier"]
    search_fields = ["matched_text", "post__external_id", "supplier__name"]
    list_select_related = ["post", "supplier", "incident"]
    raw_id_fields = ["post", "supplier", "alias", "incident"]


class ResponseInline(admin.StackedInline):
    model = Response
    extra = 0
    raw_id_fields = ["author", "organization"]


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    fields = ["kind", "actor", "data", "created_at", "dispatched_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "supplier",
        "category",
        "status",
        "severity",
        "post_count",
        "organization_count",
        "public_post_count",
        "last_activity_at",
    ]
    list_filter = ["status", "severity", "category", "supplier"]
    search_fields = ["title", "fingerprint", "sku", "lot", "supplier__name"]
    list_select_related = ["supplier", "category"]
    raw_id_fields = ["assignee"]
    date_hierarchy = "last_activity_at"
    readonly_fields = [
        "fingerprint",
        "post_count",
        "reporter_count",
        "organization_count",
        "public_post_count",
        "first_seen_at",
        "last_seen_at",
        "last_activity_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ResponseInline, IncidentEventInline]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["incident", "author", "visibility", "organization", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["body", "incident__title"]
    list_select_related = ["incident", "author", "organization"]
    raw_id_fields = ["incident", "author", "organization"]


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ["incident", "kind", "actor", "created_at", "dispatched_at"]
    list_filter = ["kind"]
    search_fields = ["incident__title"]
    list_select_related = ["incident", "actor"]
    raw_id_fields = ["incident", "actor"]
