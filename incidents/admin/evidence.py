"""The admin of evidence: categories, posts (corrected through services.post_update, relabelled
through services.posts_relabel), what the matcher found, and trained classifiers."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html

from suppliers.models import person
from supplierwatch.admin import OperatorsChangeAdmin, refusals_shown
from supplierwatch.errors import ApplicationError

from .. import services
from ..models import Category, ClassifierModel, Post, PostMatch
from ..services.posts import editable_fields, post_changes_clean
from .common import Question, ReadOnlyAdmin, ask, submitted


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


# --- evidence --------------------------------------------------------------------------------------


class PostMatchInline(admin.TabularInline):
    model = PostMatch
    extra = 0
    fields = ("supplier", "matched_text", "start", "end", "confidence", "is_primary", "incident")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """The input rule of the post's kind, as services.post_update will apply it."""
        cleaned = super().clean() or {}
        changes = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        with refusals_shown(self):
            post_changes_clean(self.instance, changes)
        return cleaned


class LabelCategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.active(),
        required=False,
        empty_label="(keep the classifier's category)",
    )


@admin.register(Post)
class PostAdmin(OperatorsChangeAdmin):
    form = PostAdminForm
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
    raw_id_fields = ["supplier"]
    date_hierarchy = "published_at"
    inlines = [PostMatchInline]
    actions = ["label_not_complaint", "label_complaint", "label_remove"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # evidence arrives as reports, files, feeds and the API, never by hand

    def get_fields(self, request: HttpRequest, obj: Post | None = None) -> tuple[str, ...]:
        derived = [
            "source",
            "external_id",
            "organization",
            "author",
            "status",
            "status_changed_at",
            "attempts",
            "error",
            "is_complaint",
            "predicted_category",
            "complaint_score",
            "classifier_version",
            "label_is_complaint",
            "label_category",
            "labelled_by",
            "labelled_at",
            "created_at",
        ]
        return (*(editable_fields(obj) if obj else ()), *derived)

    def get_readonly_fields(self, request: HttpRequest, obj: Post | None = None) -> list[str]:
        editable = editable_fields(obj) if obj else ()
        return [name for name in self.get_fields(request, obj) if name not in editable]

    def save_model(self, request: HttpRequest, obj: Post, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.post_update(post=obj, actor=person(request.user), **changes)

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        services.posts_delete(posts=[obj], actor=person(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        services.posts_delete(posts=list(queryset), actor=person(request.user))

    @admin.display(description="Text")
    def short_text(self, obj: Post) -> str:
        return obj.text[:80]

    @admin.action(description="Correct: not a complaint", permissions=["change"])
    def label_not_complaint(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._relabel(request, queryset, is_complaint=False)

    @admin.action(description="Correct: a complaint, in category ...", permissions=["change"])
    def label_complaint(
        self, request: HttpRequest, queryset: QuerySet[Post]
    ) -> TemplateResponse | None:
        question = Question(
            action="label_complaint",
            title="Correct: a complaint, in category ...",
            intro="These posts will be labelled as complaints and grouped again; buyer reports "
            "among them are left alone.",
            submit="Label as complaints",
        )
        return ask(
            self,
            request,
            queryset,
            LabelCategoryForm(submitted(request)),
            question,
            lambda values: self._relabel(
                request, queryset, is_complaint=True, category=values["category"]
            ),
        )

    @admin.action(
        description="Remove the correction (back to the classifier)", permissions=["change"]
    )
    def label_remove(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._relabel(request, queryset, is_complaint=None)

    def _relabel(self, request: HttpRequest, queryset: QuerySet[Post], **label: Any) -> None:
        public = queryset.exclude(source=Post.BUYER_SOURCE)
        skipped = queryset.count() - public.count()
        try:
            count = services.posts_relabel(posts=public, actor=person(request.user), **label)
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


@admin.register(PostMatch)
class PostMatchAdmin(ReadOnlyAdmin):
    """What the matcher found: corrected by relabelling or editing the post, never by hand."""

    list_display = ["post", "supplier", "matched_text", "confidence", "is_primary", "incident"]
    list_filter = ["is_primary", "supplier"]
    search_fields = ["matched_text", "post__external_id", "supplier__name"]
    list_select_related = ["post", "supplier", "incident"]


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
    fields = (
        "version",
        "algorithm",
        "is_active",
        "created_at",
        "training_examples",
        "scores",
    )
    readonly_fields = fields
    actions = ["activate", "use_lexicon"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClassifierModel]:
        # The artifact is megabytes; no page here shows it.
        return super().get_queryset(request).defer("artifact")

    @admin.display(description="complaint F1")
    def complaint_f1(self, obj: ClassifierModel) -> object:
        return obj.metrics.get("complaint_f1")

    @admin.display(description="category macro-F1")
    def category_macro_f1(self, obj: ClassifierModel) -> object:
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
