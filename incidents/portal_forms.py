"""Forms of the supplier portal: the incident list's filters and one form per incident action.

The forms only validate what was typed; each action's view hands the cleaned data to one service.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from suppliers.models import Organization, User

from .models import Category, Incident, Severity

STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Open (any open status)"),
    ("overdue", "Overdue"),
    *Incident.Status.choices,
]
SEVERITY_CHOICES = [("", "Any severity"), *reversed(Severity.choices)]
SORT_CHOICES = [
    ("activity", "Latest activity first"),
    ("severity", "Most severe first"),
    ("posts", "Most reports first"),
    ("created", "Newest first"),
]


class PortalForm(forms.Form):
    """Labels without a trailing colon: they sit on their own line above the field."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class IncidentFilterForm(PortalForm):
    """The list's GET form. Every field is optional; an invalid one is ignored and explained."""

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
        queryset=Category.objects.filter(is_active=True),
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

    def clean(self) -> dict:
        cleaned = super().clean()
        seen_from, seen_to = cleaned.get("seen_from"), cleaned.get("seen_to")
        if seen_from and seen_to and seen_from > seen_to:
            self.add_error("seen_to", "The end date comes before the start date.")
        return cleaned

    def search_arguments(self) -> dict:
        """Keyword arguments for selectors.portal_incident_search from the valid fields."""
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
            "sort": data.get("sort") or "activity",
        }


def _start_of(day, *, plus_days: int = 0) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=plus_days), time.min))


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class EmptyActionForm(PortalForm):
    """Acknowledge, start investigation, close: nothing to type, the CSRF token is enough."""


class AssignForm(PortalForm):
    assignee = ColleagueChoiceField(
        label="Assign to", queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, colleagues: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = colleagues


class RespondForm(PortalForm):
    """An answer: public, or private to one organization that reported by name.

    Only such organizations are offered; anonymous reporters are never listed, so nothing on the
    page (not even an option value) tells the supplier who they are.
    """

    organization = forms.ModelChoiceField(
        label="Who may read it",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="Everyone who can see this incident (public)",
    )
    body = forms.CharField(
        label="Answer",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write an answer."},
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class EightDForm(PortalForm):
    """The supplier's structured answer; an emptied field clears what was recorded."""

    containment = forms.CharField(
        label="Containment",
        required=False,
        help_text="What stops the problem reaching customers now (quarantine, sorting, replacement).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    root_cause = forms.CharField(
        label="Root cause", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    corrective_action = forms.CharField(
        label="Corrective action", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    preventive_action = forms.CharField(
        label="Preventive action", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    verification = forms.CharField(
        label="Verification",
        required=False,
        help_text="How you checked that the corrective action works.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SeverityForm(PortalForm):
    severity = forms.TypedChoiceField(
        label="Severity", choices=list(reversed(Severity.choices)), coerce=int
    )


class ResolveForm(PortalForm):
    note = forms.CharField(
        label="Resolution note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
