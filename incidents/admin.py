import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html

from supplierwatch.errors import ApplicationError

from . import services
from .models import Category, ClassifierModel, Incident, IncidentEvent, Post, PostMatch, Response


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
    # Labels change only through the actions, which also re-group the post (services.posts_relabel).
    readonly_fields = [
        "created_at",
        "status_changed_at",
        "label_is_complaint",
        "label_category",
        "labelled_by",
        "labelled_at",
    ]
    inlines = [PostMatchInline]
    actions = ["label_not_complaint", "label_complaint", "label_remove"]

    @admin.display(description="Text")
    def short_text(self, obj: Post) -> str:
        return obj.text[:80]

    @admin.action(description="Correct: not a complaint", permissions=["change"])
    def label_not_complaint(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._relabel(request, queryset, is_complaint=False)

    @admin.action(description="Correct: a complaint, in category ...", permissions=["change"])
    def label_complaint(self, request: HttpRequest, queryset: QuerySet[Post]):
        form = LabelCategoryForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._relabel(
                request, queryset, is_complaint=True, category=form.cleaned_data["category"]
            )
            return None
        return TemplateResponse(
            request,
            "admin/incidents/post/label_complaint.html",
            {
                **self.admin_site.each_context(request),
                "title": "Correct: a complaint, in category ...",
                "opts": self.model._meta,
                "posts": queryset,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description="Remove the correction (back to the classifier)", permissions=["change"]
    )
    def label_remove(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._relabel(request, queryset, is_complaint=None)

    def _relabel(self, request: HttpRequest, queryset: QuerySet[Post], **label) -> None:
        public = queryset.exclude(source=Post.BUYER_SOURCE)
        skipped = queryset.count() - public.count()
        try:
            count = services.posts_relabel(posts=public, actor=request.user, **label)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request, f"{count} post(s) corrected; they are being grouped again.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} buyer report(s) left alone: their reporter labels them.",
                messages.WARNING,
            )


class LabelCategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label="(keep the classifier's category)",
    )


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    """Trained versions and their held-out scores; they are made by training, never by hand."""

    list_display = [
        "version",
        "algorithm",
        "is_active",
        "training_examples",
        "complaint_f1",
        "category_macro_f1",
        "compared_with",
        "created_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["version", "algorithm"]
    fields = [
        "version",
        "algorithm",
        "is_active",
        "created_at",
        "training_examples",
        "scores",
    ]
    readonly_fields = fields
    actions = ["activate", "use_lexicon"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        # The artifact is megabytes; no page here shows it.
        return super().get_queryset(request).defer("artifact")

    @admin.display(description="complaint F1")
    def complaint_f1(self, obj: ClassifierModel):
        return obj.metrics.get("complaint_f1")

    @admin.display(description="category macro-F1")
    def category_macro_f1(self, obj: ClassifierModel):
        return obj.metrics.get("category_macro_f1")

    @admin.display(description="in use then (its F1)")
    def compared_with(self, obj: ClassifierModel) -> str:
        other = obj.metrics.get("compared_with") or {}
        if not other:
            return "-"
        return f"{other.get('version')} ({other.get('complaint_f1')})"

    @admin.display(description="held-out scores")
    def scores(self, obj: ClassifierModel) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.metrics, indent=2, sort_keys=True))

    @admin.action(description="Activate the selected version", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ClassifierModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        model = services.classifier_activate(model=queryset.get())
        self.message_user(request, f"{model.version} is now the classifier in use.")

    @admin.action(description="Use the lexicon classifier (deactivate all)", permissions=["change"])
    def use_lexicon(self, request: HttpRequest, queryset: QuerySet[ClassifierModel]) -> None:
        services.classifier_deactivate_all()
        self.message_user(request, "The lexicon classifier is in use.")


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
