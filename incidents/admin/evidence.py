"""The admin of evidence: categories, posts (corrected through services.post_update, relabelled
through services.posts_relabel), what the matcher found, and trained classifiers."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from suppliers.models import person
from supplierwatch.admin import OperatorsChangeAdmin, refusals_shown
from supplierwatch.errors import ApplicationError

from .. import services
from ..models import Category, ClassifierModel, Incident, Post, PostMatch
from ..services.posts import editable_fields, post_changes_clean
from ..services.training import DEFAULT_MIN_EXAMPLES
from ..tasks import retrain_classifier
from .common import Question, ReadOnlyAdmin, ask, submitted


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The taxonomy: operators add an organization's own categories and map the names imported
    labels use onto a category (label_names); the learned model learns them from labels."""

    list_display = ["name", "slug", "label_names", "is_active", "position"]
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
        "classifier_version",
        "published_at",
    ]
    list_filter = [
        "status",
        "visibility",
        "source",
        "is_complaint",
        "category",
        "severity",
        "classifier_version",
    ]
    search_fields = ["external_id", "text", "author_handle", "po_number", "sku", "lot"]
    list_select_related = ["supplier", "organization", "predicted_category"]
    raw_id_fields = ["supplier"]
    date_hierarchy = "published_at"
    inlines = [PostMatchInline]
    actions = ["label_not_complaint", "label_complaint", "label_remove", "split_out"]

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

    @admin.action(
        description="Split the selected evidence out of its incident", permissions=["change"]
    )
    def split_out(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        incidents = set(
            PostMatch.objects.filter(post__in=queryset, incident__isnull=False).values_list(
                "incident_id", flat=True
            )
        )
        if len(incidents) != 1:
            self.message_user(
                request, "Select evidence of one incident to split out.", messages.ERROR
            )
            return
        incident = Incident.objects.get(pk=incidents.pop())
        try:
            new = services.incident_split(
                incident=incident, posts=list(queryset), actor=person(request.user)
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            f"Split out of #{incident.pk} into the new incident #{new.pk}.",
            messages.SUCCESS,
        )

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


class TrainForm(forms.Form):
    IF_BETTER = "if_better"
    ALWAYS = "always"
    activate = forms.ChoiceField(
        choices=[
            (IF_BETTER, "Activate it only if it beats the classifier in use (on held-back posts)"),
            (ALWAYS, "Activate it whatever its scores, however few the labelled posts"),
        ],
        initial=IF_BETTER,
        widget=forms.RadioSelect,
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
    # Adds "Train a new model" beside the versions.
    change_list_template = "admin/incidents/classifiermodel/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        train = path(
            "train/",
            self.admin_site.admin_view(self.train_view),
            name="incidents_classifiermodel_train",
        )
        return [train, *super().get_urls()]

    def train_view(self, request: HttpRequest) -> HttpResponse:
        """Train a new version now: in this request without a worker, otherwise on a worker."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = TrainForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            force = form.cleaned_data["activate"] == TrainForm.ALWAYS
            changelist = reverse("admin:incidents_classifiermodel_changelist")
            if not retrain_classifier.app.conf.task_always_eager:
                retrain_classifier.delay(force=force)
                self.message_user(
                    request, "Training is queued; the new version appears here when it is done."
                )
                return redirect(changelist)
            self._report(request, services.classifier_train(force=force))
            return redirect(changelist)
        examples = services.labelled_examples()
        complaints = sum(example.is_complaint for example in examples)
        context = {
            **self.admin_site.each_context(request),
            "title": "Train a new classifier version",
            "opts": self.model._meta,
            "form": form,
            "examples": len(examples),
            "complaints": complaints,
            "others": len(examples) - complaints,
            "categories": len({e.category_id for e in examples if e.category_id}),
            "min_examples": DEFAULT_MIN_EXAMPLES,
        }
        return TemplateResponse(request, "admin/incidents/classifiermodel/train.html", context)

    def _report(self, request: HttpRequest, result: services.TrainingResult) -> None:
        if not result.trained:
            self.message_user(request, f"Nothing was trained: {result.reason}.", messages.ERROR)
            return
        assert result.model is not None  # a trained result is stored
        scores = (
            f"complaint F1 {result.metrics.get('complaint_f1', 0):.3f} against "
            f"{result.baseline.get('complaint_f1', 0):.3f} for {result.baseline_version}"
        )
        if result.activated:
            self.message_user(
                request,
                f"{result.model.version} trained and activated ({scores}).",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"{result.model.version} trained but not activated: {result.reason} ({scores}). "
                "Select it and use “Activate the selected version” to use it anyway.",
                messages.WARNING,
            )

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
