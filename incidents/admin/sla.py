"""The SLA's terms for operators: the default policy per severity (edited here, through the
service), suppliers' own promises (read here: their admins set them in the portal), and suppliers'
working calendars (edited here or in the portal, through the service). A form checks a value with
the same validation the service uses, so a bad time zone or country is an error beside its field
and nothing is saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from suppliers.models import person
from supplierwatch.inputs import InputError

from .. import services
from ..inputs import WEEKDAY_NAMES, clean_sla_promise, clean_work_calendar
from ..models import SlaPolicy, WorkCalendar


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["first_answer_hours", "resolution_hours", "business_hours_only"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            clean_sla_promise(
                first_answer_hours=data.get("first_answer_hours"),
                resolution_hours=data.get("resolution_hours"),
                business_hours_only=data.get("business_hours_only"),
            )
        except InputError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """One default row per severity (made by migration); suppliers' own rows are read only."""

    form = SlaPolicyForm
    list_display = [
        "__str__",
        "severity",
        "first_answer_hours",
        "resolution_hours",
        "business_hours_only",
        "updated_at",
    ]
    list_filter = ["severity", "business_hours_only", ("supplier", admin.EmptyFieldListFilter)]
    list_select_related = ["supplier"]
    search_fields = ["supplier__name"]

    readonly_fields = ["supplier", "severity"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A supplier's own promise is its admins' to change (the portal), within the default.
        if obj is not None and obj.supplier_id is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the default has a row for every severity; suppliers add theirs

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every incident needs a default to fall back on

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        saved = services.sla_default_policy_save(
            actor=person(request.user),
            severity=obj.severity,
            first_answer_hours=form.cleaned_data["first_answer_hours"],
            resolution_hours=form.cleaned_data["resolution_hours"],
            business_hours_only=form.cleaned_data["business_hours_only"],
        )
        obj.pk = saved.pk


class WorkCalendarForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WorkCalendar
        fields = [
            "supplier",
            "time_zone",
            "working_days",
            "opens",
            "closes",
            "country",
            "subdivision",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["working_days"] = [int(day) for day in self.instance.working_days]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            clean_work_calendar(**{name: data.get(name) for name in self.Meta.fields[1:]})
        except InputError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    form = WorkCalendarForm
    list_display = ["supplier", "time_zone", "opens", "closes", "country", "subdivision"]
    list_select_related = ["supplier"]
    search_fields = ["supplier__name"]
    autocomplete_fields = ["supplier"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["supplier"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: WorkCalendar, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.work_calendar_save(
            actor=person(request.user),
            supplier=obj.supplier,
            **{name: data.get(name) for name in WorkCalendarForm.Meta.fields[1:]},
        )
        obj.pk = saved.pk
