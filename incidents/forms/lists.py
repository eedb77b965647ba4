"""The incident lists' forms: the filters (the portal's, and the buyers' with theirs), saving
them as a view, and the portal's bulk actions. They validate what was typed and shape it; the
selectors and services decide."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from suppliers.models import Supplier, User
from suppliers.selectors import supplier_resolve
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import Form, is_row_id

from .. import inputs
from ..models import Category, Incident, Severity
from ..selectors import SORTS
from .pages import ColleagueChoiceField

# --- the incident lists' filters (buyers and portal) -----------------------------------------

STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Open (any open status)"),
    ("overdue", "Overdue"),
    *Incident.Status.choices,
]
SEVERITY_CHOICES = [("", "Any severity"), *reversed(Severity.choices)]
SORT_CHOICES = [("", "Best match when searching, else latest activity")] + [
    (key, sort.label) for key, sort in SORTS.items() if key != "relevance"
]


class IncidentFilterForm(Form):
    """An incident list's GET form (the portal's; BuyerIncidentFilterForm adds the buyers'
    filters). Every field is optional; an invalid one is ignored and explained."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Title, lot, SKU or words of a report"}
        ),
    )
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    severity = forms.TypedChoiceField(
        label="Severity", choices=SEVERITY_CHOICES, coerce=int, empty_value=None, required=False
    )
    category = forms.ModelChoiceField(
        label="Category",
        queryset=Category.objects.active(),
        empty_label="Any category",
        required=False,
    )
    seen_from = forms.DateField(
        label="Evidence from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    seen_to = forms.DateField(
        label="Evidence until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sort = forms.ChoiceField(label="Sort", choices=SORT_CHOICES, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        seen_from, seen_to = cleaned.get("seen_from"), cleaned.get("seen_to")
        if seen_from and seen_to and seen_from > seen_to:
            self.add_error("seen_to", "The end date comes before the start date.")
        return cleaned

    def search_arguments(self) -> dict:
        """Keyword arguments for selectors.incident_search from the valid fields."""
        data = self.cleaned_data if self.is_bound else {}
        category = data.get("category")
        return {
            "search": data.get("q") or "",
            "status": data.get("status") or "",
            "severity": data.get("severity"),
            "category_id": category.pk if category else None,
            "seen_from": _start_of(data.get("seen_from")),
            # The whole last day counts: up to the start of the next one.
            "seen_to": _start_of(data.get("seen_to"), plus_days=1),
            "sort": data.get("sort") or "",
        }


class BuyerIncidentFilterForm(IncidentFilterForm):
    """The buyers' list: the portal's filters, and the supplier (typed as the report form takes
    it: a name, an alias or the organization's vendor code), what the organization reported,
    what the person follows and the organization's suppliers."""

    supplier = forms.CharField(
        label="Supplier",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Name, alias or your vendor code"}),
    )
    reported_by_us = forms.BooleanField(label="Reported by us", required=False)
    followed = forms.BooleanField(label="Followed by me", required=False)
    my_suppliers = forms.BooleanField(label="My suppliers (with our vendor codes)", required=False)

    field_order = ["q", "supplier"]

    def __init__(self, *args: Any, organization_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.supplier_obj: Supplier | None = None

    def clean_supplier(self) -> str:
        text = self.cleaned_data.get("supplier", "")
        if text:
            try:
                self.supplier_obj = supplier_resolve(
                    organization_id=self.organization_id, text=text
                )
            except ApplicationError as error:
                raise forms.ValidationError(error.message) from error
        return text

    def search_arguments(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        return super().search_arguments() | {
            "supplier_id": self.supplier_obj.pk if self.supplier_obj else None,
            "reported_by_us": bool(data.get("reported_by_us")),
            "followed": bool(data.get("followed")),
            "my_suppliers": bool(data.get("my_suppliers")),
        }


class SavedViewForm(Form):
    """Save the list's filters as shown (`query`, the page's query string) under a name."""

    name = forms.CharField(label="Name of this view", max_length=inputs.SAVED_VIEW_NAME_MAX)
    shared = forms.BooleanField(
        label="Share with my team", required=False, help_text="Colleagues find it in their menu."
    )
    list_name = forms.ChoiceField(
        choices=[(inputs.BUYER_LIST, "incidents"), (inputs.PORTAL_LIST, "portal")],
        widget=forms.HiddenInput,
    )
    query = forms.CharField(
        required=False, max_length=inputs.SAVED_QUERY_MAX, widget=forms.HiddenInput
    )


def _start_of(day, *, plus_days: int = 0) -> datetime | None:
    if day is None:
        return None
    try:
        day += timedelta(days=plus_days)
    except OverflowError:  # after the last day there is (9999-12-31): no bound
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


# --- the portal's bulk actions ----------------------------------------------------------------


class IncidentIdsField(forms.Field):
    """The incidents ticked in a list (`incident`, repeated): their ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if not all(is_row_id(item) for item in values):
            raise forms.ValidationError("Select incidents from the list.")
        return [int(item) for item in values]


BULK_ACTION_CHOICES = [
    (Incident.Action.ACKNOWLEDGE.value, "Acknowledge"),
    (Incident.Action.ASSIGN.value, "Assign to…"),
    (Incident.Action.SET_SEVERITY.value, "Set severity to…"),
    (Incident.Action.CLOSE.value, "Close"),
]


class BulkActionForm(Form):
    """One action on the incidents ticked in the portal's list. services.incidents_act_in_bulk
    checks each incident again."""

    incident = IncidentIdsField(error_messages={"required": "Select at least one incident."})
    action = forms.ChoiceField(label="With the selected incidents", choices=BULK_ACTION_CHOICES)
    assignee = ColleagueChoiceField(
        label="Assignee",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={
            "invalid_choice": "Choose a responder or admin of your team; viewers only read."
        },
    )
    severity = forms.TypedChoiceField(
        label="Severity",
        choices=[("", "—"), *reversed(Severity.choices)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    # The list's query string, to come back to the same filters.
    back = forms.CharField(required=False, max_length=2_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, colleagues: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, ColleagueChoiceField)
        field.queryset = colleagues
