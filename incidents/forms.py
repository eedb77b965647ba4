"""Forms of the product's pages: the buyer's report, the portal's filters and incident actions,
and a post's label correction. They validate what was typed and shape it; the services decide and
write (each service runs the one input rule of its kind of input).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst

from suppliers.models import Organization, Supplier, User
from suppliers.selectors import supplier_resolve
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import Form, add_refusal

from . import inputs
from .models import Category, Incident, Post, RoutingRule, Severity
from .presenters import eight_d_labels
from .selectors import PORTAL_SORTS
from .services.attachments import ALLOWED_DESCRIPTION, ALLOWED_TYPES, MAX_FILE_BYTES, MAX_FILES

# --- the buyer's report ----------------------------------------------------------------------

# One sentence each: what the people on the other side will see.
VISIBILITY_CHOICES = [
    (
        Post.Visibility.PRIVATE.value,
        "Private: only your organization sees this report; nobody else sees or counts it.",
    ),
    (
        Post.Visibility.ANONYMOUS.value,
        "Anonymous: everyone counts it and the supplier reads the text, "
        "but nobody learns who or which organization reported it.",
    ),
    (
        Post.Visibility.NAMED.value,
        "Named: the supplier also sees your name and organization, so it can contact you; "
        "other buyers still do not.",
    ),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the attachments service."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ReportForm(Form):
    """Report a problem. The supplier is chosen by search (`supplier`, filled in by the page's
    script) or, without JavaScript, typed (`supplier_query`: a name, an alias or a vendor code)."""

    # Service argument names that differ from the form's field names.
    SERVICE_FIELDS = {"supplier": "supplier_query"}

    supplier_query = forms.CharField(
        label="Supplier",
        max_length=200,
        help_text="Type its name, an alias or your organization's vendor code, then choose it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    supplier = forms.IntegerField(required=False, widget=forms.HiddenInput)
    po_number = forms.CharField(
        label="PO number",
        max_length=inputs.CODE_MAX,
        required=False,
        help_text="Shown only to your organization (and to the supplier if you report by name); "
        f"in the description it is replaced by {inputs.PO_PLACEHOLDER}.",
    )
    sku = forms.CharField(label="SKU / part number", max_length=inputs.CODE_MAX, required=False)
    lot = forms.CharField(label="Lot / batch", max_length=inputs.CODE_MAX, required=False)
    quantity_affected = forms.IntegerField(
        label="Quantity affected", min_value=1, max_value=inputs.QUANTITY_MAX, required=False
    )
    category = forms.ModelChoiceField(
        label="Category",
        queryset=Category.objects.active(),
        required=False,
        empty_label="Not sure: let supplierwatch decide from the description",
    )
    severity = forms.TypedChoiceField(
        label="Severity",
        choices=Severity.choices,
        coerce=int,
        initial=Severity.MEDIUM,
    )
    visibility = forms.ChoiceField(
        label="Who may see this report",
        choices=VISIBILITY_CHOICES,
        initial=Post.Visibility.ANONYMOUS.value,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label="Describe the problem",
        max_length=inputs.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you received, what you expected, and what it costs you.",
    )
    # A declared field: the form's metaclass moves it out of the class, so it never hides
    # BaseForm.files (the request's uploads).
    files = MultipleFileField(  # type: ignore[assignment]
        label="Photos and documents",
        required=False,
        help_text=(
            f"Up to {MAX_FILES} files, {MAX_FILE_BYTES // (1024 * 1024)} MB each: "
            f"{ALLOWED_DESCRIPTION}."
        ),
        widget=MultipleFileInput(attrs={"accept": ",".join(ALLOWED_TYPES)}),
    )
    # Generated when the form is shown: a second submission of the same form is recognised.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, organization_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.supplier_obj: Supplier | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = cleaned.get("supplier")
        query = cleaned.get("supplier_query", "")
        # The one chosen from the search list; else the one the typed text names.
        for naming in ({"pk": chosen} if chosen else None, {"text": query} if query else None):
            if naming is None or self.supplier_obj is not None:
                continue
            try:
                self.supplier_obj = supplier_resolve(organization_id=self.organization_id, **naming)
            except ApplicationError as error:
                if "text" in naming:
                    self.add_error("supplier_query", error.message)
        return cleaned

    def report_arguments(self) -> dict:
        """Keyword arguments for services.post_report_with_attachments."""
        data = self.cleaned_data
        return {
            "supplier": self.supplier_obj,
            "text": data["text"],
            "category": data["category"],
            "severity": data["severity"],
            "visibility": data["visibility"],
            "po_number": data["po_number"],
            "sku": data["sku"],
            "lot": data["lot"],
            "quantity_affected": data["quantity_affected"],
            "files": data["files"],
        }

    def add_application_error(self, error: ApplicationError) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        add_refusal(self, error, self.SERVICE_FIELDS.get(error.field or "", error.field))


# --- the portal: filters and incident actions -------------------------------------------------

STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Open (any open status)"),
    ("overdue", "Overdue"),
    *Incident.Status.choices,
]
SEVERITY_CHOICES = [("", "Any severity"), *reversed(Severity.choices)]
SORT_CHOICES = [(key, sort.label) for key, sort in PORTAL_SORTS.items()]


class IncidentFilterForm(Form):
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


class ColleaguesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class EmptyActionForm(Form):
    """Acknowledge, start investigation, close: nothing to type, the CSRF token is enough."""


class AssignForm(Form):
    """Offers the colleagues who may act (User.objects.assignable_at); the service asks again."""

    assignee = ColleagueChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={
            "invalid_choice": "Choose a responder or admin of your team; viewers only read."
        },
    )

    def __init__(self, *args, colleagues: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, ColleagueChoiceField)
        field.queryset = colleagues


class RespondForm(Form):
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
        max_length=inputs.ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write an answer."},
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations  # what a sent choice is checked against
        # The options, read once: a ModelChoiceField would query again for each rendering.
        named = list(organizations)
        if named:
            field.choices = [
                ("", field.empty_label),
                *((org.pk, field.label_from_instance(org)) for org in named),
            ]
        else:
            # Without a named reporter there is nobody to answer privately: no choice is shown.
            field.widget = forms.HiddenInput()


def _eight_d_step(name: str, help_text: str = "") -> forms.CharField:
    """A step of the 8D answer, labelled as the incident's page shows it."""
    return forms.CharField(
        label=capfirst(eight_d_labels()[name]),
        required=False,
        max_length=inputs.ANSWER_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EightDForm(Form):
    """The supplier's structured answer; an emptied field clears what was recorded."""

    containment = _eight_d_step(
        "containment",
        "What stops the problem reaching customers now (quarantine, sorting, replacement).",
    )
    root_cause = _eight_d_step("root_cause")
    corrective_action = _eight_d_step("corrective_action")
    preventive_action = _eight_d_step("preventive_action")
    verification = _eight_d_step(
        "verification", "How you checked that the corrective action works."
    )


class SeverityForm(Form):
    severity = forms.TypedChoiceField(
        label="Severity", choices=list(reversed(Severity.choices)), coerce=int
    )


class ResolveForm(Form):
    note = forms.CharField(
        label="Resolution note (optional)",
        required=False,
        max_length=inputs.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- the buyer answers back -------------------------------------------------------------------


class ReplyForm(Form):
    body = forms.CharField(
        label="Your reply to the supplier",
        max_length=inputs.ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(Form):
    reason = forms.CharField(
        label="Why the problem is not solved",
        max_length=inputs.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- a public post's label ----------------------------------------------------------------------

COMPLAINT = "complaint"
NOT_COMPLAINT = "not_complaint"
UNDO = "undo"


class LabelForm(Form):
    label = forms.ChoiceField(
        choices=[
            (COMPLAINT, "A complaint"),
            (NOT_COMPLAINT, "Not a complaint"),
            (UNDO, "Remove my correction"),
        ]
    )
    category = forms.ModelChoiceField(queryset=Category.objects.active(), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("label") != COMPLAINT:
            data["category"] = None
        return data


# --- disputes -------------------------------------------------------------------------------------


class DisputeForm(Form):
    """A supplier disputes one piece of evidence (named by presenters.evidence_reference)."""

    evidence = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.ChoiceField(
        choices=[("not_complaint", "Not a complaint"), ("not_about_us", "Not about us")]
    )
    note = forms.CharField(
        label="Why (for whoever decides)",
        required=False,
        max_length=inputs.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


ACCEPT = "accept"
REJECT = "reject"


class DisputeDecisionForm(Form):
    decision = forms.ChoiceField(choices=[(ACCEPT, "Accept"), (REJECT, "Reject")])
    note = forms.CharField(required=False, max_length=inputs.NOTE_MAX)


class RoutingRuleForm(Form):
    """An assignment rule: conditions (empty: any) and the colleagues who may act that it names.
    services.routing_rule_save checks all of it again."""

    name = forms.CharField(max_length=inputs.RULE_NAME_MAX)
    category = forms.ModelChoiceField(
        queryset=Category.objects.active(), required=False, empty_label="Any category"
    )
    severity_match = forms.ChoiceField(
        label="Severity", choices=RoutingRule.SeverityMatch.choices, required=False
    )
    severity = forms.TypedChoiceField(
        label="Severity level",
        choices=[("", "Any severity"), *Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    sku_prefix = forms.CharField(
        label="SKU starts with", max_length=inputs.CODE_MAX, required=False
    )
    lot_prefix = forms.CharField(
        label="Lot starts with", max_length=inputs.CODE_MAX, required=False
    )
    source = forms.ChoiceField(choices=RoutingRule.Source.choices, required=False)
    assignees = ColleaguesChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One colleague, or several to take turns (round-robin).",
        error_messages={
            "invalid_choice": "Choose responders or admins of your team; viewers only read."
        },
    )

    def __init__(self, *args: Any, assignable: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = assignable

    @classmethod
    def initial_of(cls, rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "category": rule.category_id,
            "severity_match": rule.severity_match,
            "severity": rule.severity,
            "sku_prefix": rule.sku_prefix,
            "lot_prefix": rule.lot_prefix,
            "source": rule.source,
            "assignees": [user.pk for user in rule.assignees.all()],
        }
