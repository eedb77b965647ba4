"""The admin of incidents: their lifecycle through actions that call the services, the words of
8D disciplines and of answers saved through the services, and the timeline read-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from suppliers.models import User, person
from supplierwatch.admin import OperatorsChangeAdmin, refusals_shown

from .. import inputs, services
from ..models import EightDStep, Incident, IncidentEvent, Response, Severity
from .common import Question, ReadOnlyAdmin, apply_each, ask, submitted


class ResponseInline(admin.StackedInline):
    """The answers, as they were given; an answer's words are corrected on its own page."""

    model = Response
    extra = 0
    fields = ("author", "visibility", "organization", "body", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EightDStepForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """A discipline's input rule, as services.eightd_update applies it."""
        cleaned = super().clean() or {}
        if "text" in cleaned:
            with refusals_shown(self):
                cleaned["text"] = inputs.clean_eight_d_text(cleaned["text"])
        return cleaned


class EightDStepInline(admin.TabularInline):
    """The 8D's recorded disciplines. An operator corrects a discipline's words (moderation, as
    an answer's); its owner and dates are the supplier's to set, in the portal or the API."""

    model = EightDStep
    form = EightDStepForm
    extra = 0
    fields = ("discipline", "text", "owner", "due_on", "done_on", "updated_at")
    readonly_fields = ("discipline", "owner", "due_on", "done_on", "updated_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    fields = ("kind", "actor", "data", "created_at", "dispatched_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(choices=list(reversed(Severity.choices)), coerce=int)


class AssigneeForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args: Any, supplier_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.assignable_at(supplier_id)


class MergeTargetForm(forms.Form):
    target = forms.IntegerField(
        label="Merge into incident #", min_value=1, help_text="An incident of the same supplier."
    )


def _lifecycle_action(name: str, description: str, done: str) -> Callable[..., None]:
    perform = {
        Incident.Action.ACKNOWLEDGE: services.incident_acknowledge,
        Incident.Action.INVESTIGATE: services.incident_start_investigation,
        Incident.Action.RESOLVE: services.incident_resolve,
        Incident.Action.CLOSE: services.incident_close,
    }[Incident.Action(name)]

    def action(
        model_admin: IncidentAdmin, request: HttpRequest, queryset: QuerySet[Incident]
    ) -> None:
        apply_each(
            model_admin,
            request,
            queryset,
            lambda incident: perform(incident=incident, actor=person(request.user)),
            done,
        )

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Incident)
class IncidentAdmin(OperatorsChangeAdmin):
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
    date_hierarchy = "last_activity_at"
    fieldsets = [
        (None, {"fields": ["title", "supplier", "category", "fingerprint", "sku", "lot"]}),
        (
            "Lifecycle (change it with the actions of the list)",
            {
                "fields": [
                    "status",
                    "severity",
                    "assignee",
                    "sla_started_at",
                    "acknowledge_warn_at",
                    "acknowledge_due_at",
                    "resolve_warn_at",
                    "resolve_due_at",
                    "sla_paused_at",
                    "acknowledged_at",
                    "time_to_first_answer",
                    "resolved_at",
                    "time_to_resolution",
                    "closed_at",
                    "reopened_count",
                ]
            },
        ),
        (
            "Counters (recounted from the evidence)",
            {
                "fields": [
                    "post_count",
                    "reporter_count",
                    "organization_count",
                    "named_post_count",
                    "named_organization_count",
                    "public_post_count",
                    "public_author_count",
                    "first_seen_at",
                    "last_seen_at",
                    "last_activity_at",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [EightDStepInline, ResponseInline, IncidentEventInline]
    actions = [
        "acknowledge",
        "investigate",
        "resolve",
        "close",
        "set_severity",
        "assign",
        "merge",
    ]

    acknowledge = _lifecycle_action("acknowledge", "Acknowledge", "incident(s) acknowledged")
    investigate = _lifecycle_action(
        "investigate", "Start investigating", "investigation(s) started"
    )
    resolve = _lifecycle_action("resolve", "Resolve", "incident(s) resolved")
    close = _lifecycle_action("close", "Close (resolved incidents)", "incident(s) closed")

    def get_readonly_fields(self, request: HttpRequest, obj: Incident | None = None) -> list[str]:
        return [name for name in flatten_fieldsets(self.fieldsets) if name != "title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # incidents are made from evidence

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False  # its evidence would be left counted nowhere; relabel the posts instead

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        if "title" in form.changed_data:
            # The title is a label with no rule beyond its length (the form's): it is no step of
            # the lifecycle, so it is written alone and the timeline does not mention it.
            Incident.objects.filter(pk=obj.pk).update(title=form.cleaned_data["title"])

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """A discipline's corrected words go through services.eightd_update (and on the
        timeline); the other inlines are read-only."""
        if formset.model is not EightDStep:
            super().save_formset(request, form, formset, change)
            return
        changed = [f for f in formset.forms if "text" in f.changed_data]
        for step_form in changed:
            services.eightd_update(
                incident=form.instance,
                discipline=step_form.instance.discipline,
                actor=person(request.user),
                text=step_form.cleaned_data["text"],
            )
        # What the admin's change message reads (formset.save() would have set them).
        formset.new_objects, formset.deleted_objects = [], []
        formset.changed_objects = [(f.instance, ["text"]) for f in changed]

    @admin.action(description="Set the severity ...", permissions=["change"])
    def set_severity(
        self, request: HttpRequest, queryset: QuerySet[Incident]
    ) -> TemplateResponse | None:
        def apply(values: dict[str, Any]) -> None:
            apply_each(
                self,
                request,
                queryset,
                lambda incident: services.incident_set_severity(
                    incident=incident, actor=person(request.user), severity=values["severity"]
                ),
                "severity(ies) set",
            )

        question = Question(
            action="set_severity",
            title="Set the severity",
            intro="The SLA's due times come forward when the new severity promises sooner.",
            submit="Set severity",
        )
        return ask(self, request, queryset, SeverityForm(submitted(request)), question, apply)

    @admin.action(description="Merge into another incident ...", permissions=["change"])
    def merge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> TemplateResponse | None:
        def apply(values: dict[str, Any]) -> None:
            apply_each(
                self,
                request,
                queryset,
                lambda incident: services.incident_merge(
                    source=incident, target_id=values["target"], actor=person(request.user)
                ),
                f"incident(s) merged into #{values['target']}",
            )

        question = Question(
            action="merge",
            title="Merge into another incident",
            intro="All their evidence moves into the incident named (of the same supplier); their "
            "pages lead there, and evidence that would have joined them joins it.",
            submit="Merge",
        )
        return ask(self, request, queryset, MergeTargetForm(submitted(request)), question, apply)

    @admin.action(description="Assign to a colleague at the supplier ...", permissions=["change"])
    def assign(self, request: HttpRequest, queryset: QuerySet[Incident]) -> TemplateResponse | None:
        suppliers = set(queryset.values_list("supplier_id", flat=True))
        if len(suppliers) != 1:
            self.message_user(request, "Select incidents of one supplier.", messages.ERROR)
            return None

        def apply(values: dict[str, Any]) -> None:
            apply_each(
                self,
                request,
                queryset,
                lambda incident: services.incident_assign(
                    incident=incident, actor=person(request.user), assignee=values["assignee"]
                ),
                "incident(s) assigned",
            )

        question = Question(
            action="assign",
            title="Assign",
            intro="Only the supplier's active colleagues can be given an incident.",
            submit="Assign",
        )
        form = AssigneeForm(submitted(request), supplier_id=suppliers.pop())
        return ask(self, request, queryset, form, question, apply)


class ResponseAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """An answer's input rule, as services.incident_response_edit applies it."""
        cleaned = super().clean() or {}
        if "body" in cleaned:
            with refusals_shown(self):
                cleaned["body"] = inputs.clean_answer(cleaned["body"])
        return cleaned


@admin.register(Response)
class ResponseAdmin(OperatorsChangeAdmin):
    """An answer's words may be corrected (moderation); who may read it never changes here."""

    form = ResponseAdminForm

    list_display = ["incident", "author", "visibility", "organization", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["body", "incident__title"]
    list_select_related = ["incident", "author", "organization"]
    fields = ["incident", "author", "visibility", "organization", "body", "created_at"]
    readonly_fields = ["incident", "author", "visibility", "organization", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # answers come from the supplier

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False  # an answer stays on the record; its words can be corrected

    def save_model(self, request: HttpRequest, obj: Response, form: Any, change: bool) -> None:
        services.incident_response_edit(
            response=obj,
            actor=person(request.user),
            body=form.cleaned_data["body"],
        )


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    """The timeline is history: nobody rewrites it."""

    list_display = ["incident", "kind", "actor", "created_at", "dispatched_at"]
    list_filter = ["kind"]
    search_fields = ["incident__title"]
    list_select_related = ["incident", "actor"]
