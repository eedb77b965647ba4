"""The forms of the portal's SLA settings page (a module of its own beside forms.py, which is at its
size): a supplier's working calendar and its own promise per severity. They only shape input;
services.work_calendar_save and services.sla_promises_save check it (inputs.clean_work_calendar,
inputs.clean_sla_promise) and name the field at fault."""

from __future__ import annotations

from typing import Any

from django import forms

from supplierwatch.forms import Form

from ..inputs import WEEKDAY_NAMES, PromiseInput
from ..models import Severity, WorkCalendar

CALENDAR_FIELDS = ("time_zone", "working_days", "opens", "closes", "country", "subdivision")


class WorkCalendarForm(Form):
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="A time zone of the IANA database, such as Europe/Berlin or America/Chicago.",
    )
    working_days = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one working day."},
    )
    opens = forms.TimeField(label="Opens at", widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(label="Closes at", widget=forms.TimeInput(attrs={"type": "time"}))
    country = forms.CharField(
        label="Country of public holidays",
        max_length=2,
        required=False,
        help_text="A two-letter country code such as DE; its public holidays count as closed.",
    )
    subdivision = forms.CharField(
        label="Region (optional)",
        max_length=10,
        required=False,
        help_text="A state or province code such as BY, for its own holidays.",
    )

    @classmethod
    def initial_of(cls, calendar: WorkCalendar) -> dict[str, Any]:
        initial = {name: getattr(calendar, name) for name in CALENDAR_FIELDS}
        initial["working_days"] = [int(day) for day in calendar.working_days]
        return initial


def _hours_field(label: str, default: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": str(default), "min": 1}),
        error_messages={"invalid": f"{label}: give a whole number of hours."},
    )


class SlaPromisesForm(Form):
    """Per severity, the supplier's own hours to a first answer and to resolution, and whether
    they count business hours only. Both hours empty: the default promise applies; one empty:
    the default's hours for it."""

    def __init__(
        self,
        *args: Any,
        promises: dict[int, tuple[PromiseInput, PromiseInput | None]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.promises = promises
        for severity in sorted(promises, reverse=True):
            default, own = promises[severity]
            slug, label = Severity(severity).slug, Severity(severity).label
            self.fields[f"{slug}_first_answer_hours"] = _hours_field(
                f"{label}: first answer (hours)", default.first_answer_hours
            )
            self.fields[f"{slug}_resolution_hours"] = _hours_field(
                f"{label}: resolution (hours)", default.resolution_hours
            )
            self.fields[f"{slug}_business_hours_only"] = forms.BooleanField(
                label=f"{label}: business hours only", required=False
            )
            if own is not None and not self.is_bound:
                self.initial[f"{slug}_first_answer_hours"] = own.first_answer_hours
                self.initial[f"{slug}_resolution_hours"] = own.resolution_hours
            if not self.is_bound:
                self.initial[f"{slug}_business_hours_only"] = (own or default).business_hours_only

    def rows(self) -> list[tuple[Severity, PromiseInput, list[forms.BoundField]]]:
        """Per severity, most severe first: the default promise and the three fields."""
        rows = []
        for severity in sorted(self.promises, reverse=True):
            slug = Severity(severity).slug
            names = ("first_answer_hours", "resolution_hours", "business_hours_only")
            rows.append(
                (
                    Severity(severity),
                    self.promises[severity][0],
                    [self[f"{slug}_{name}"] for name in names],
                )
            )
        return rows

    def promise_values(self) -> dict[int, dict[str, Any] | None]:
        """What services.sla_promises_save takes, from the valid form."""
        data = self.cleaned_data
        values: dict[int, dict[str, Any] | None] = {}
        for severity, (default, _) in self.promises.items():
            slug = Severity(severity).slug
            first = data.get(f"{slug}_first_answer_hours")
            resolution = data.get(f"{slug}_resolution_hours")
            if first is None and resolution is None:
                values[severity] = None
                continue
            values[severity] = {
                "first_answer_hours": default.first_answer_hours if first is None else first,
                "resolution_hours": default.resolution_hours if resolution is None else resolution,
                "business_hours_only": bool(data.get(f"{slug}_business_hours_only")),
            }
        return values
