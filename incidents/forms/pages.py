"""Forms of the product's pages: the buyer's report, the portal's filters and incident actions,
and a post's label correction. They validate what was typed and shape it; the services decide and
write (each service runs the one input rule of its kind of input).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from suppliers.models import Organization, Supplier, User
from suppliers.selectors import supplier_resolve
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import Form, RowsChoiceField, add_refusal
from supplierwatch.inputs import ID_MAX

from .. import inputs
from ..models import Category, Post, RoutingRule, Severity
from ..services.attachments import ALLOWED_DESCRIPTION, ALLOWED_TYPES, MAX_FILE_BYTES, MAX_FILES

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


# --- the portal's incident actions ------------------------------------------------------------


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name

    def offer(self, colleagues: QuerySet[User], offered: list[User] | None) -> None:
        """Choose among `colleagues` (what a sent choice is checked against), showing `offered`
        when the page has read them already (once for all its forms): otherwise each rendering
        of the field would read them again."""
        self.queryset = colleagues
        if offered is not None:
            self.choices = [
                ("", self.empty_label),
                *((user.pk, self.label_from_instance(user)) for user in offered),
            ]


class ColleaguesChoiceField(RowsChoiceField):
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

    def __init__(
        self, *args, colleagues: QuerySet[User], offered: list[User] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, ColleagueChoiceField)
        field.offer(colleagues, offered)


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
    waits_for_buyer = forms.BooleanField(
        label="Waiting for the buyer's answer",
        required=False,
        help_text="This answer asks the buyers a question: the SLA clock pauses until a reporting "
        "organization replies.",
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


class EightDForm(Form):
    """One discipline of the 8D: its text, owner, due and done dates. An emptied field clears
    what was recorded; the service checks the owner and the dates again."""

    text = forms.CharField(
        label="Text",
        required=False,
        max_length=inputs.ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = ColleagueChoiceField(
        label="Owner",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        error_messages={
            "invalid_choice": "Choose a responder or admin of your team; viewers only read."
        },
    )
    due_on = forms.DateField(
        label="Due",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    done_on = forms.DateField(
        label="Done",
        required=False,
        help_text="The day it was done; leave empty while it is not.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args, colleagues: QuerySet[User], offered: list[User] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, ColleagueChoiceField)
        field.offer(colleagues, offered)


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


class MergeForm(Form):
    """Merge an incident into another of its supplier's: by its number (the short list of open
    incidents fills the same field)."""

    target = forms.IntegerField(
        label="Merge into incident #",
        min_value=1,
        max_value=ID_MAX,
        help_text="Its evidence moves there; this incident's page will lead there.",
    )


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


class MonitorForm(Form):
    """A keyword monitor: its name, query and optional supplier limit. services.monitor_save
    checks the query (incidents.monitors) and says what is wrong with it."""

    name = forms.CharField(max_length=inputs.MONITOR_NAME_MAX)
    query = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            'Words and "quoted phrases"; words side by side must all appear. Combine with AND, '
            'OR, NOT and parentheses, e.g. "crushed cartons" OR dented NOT test.'
        ),
    )
    suppliers = RowsChoiceField(
        label="Only posts about",
        queryset=Supplier.objects.order_by("name"),
        required=False,
        help_text="Leave empty to watch every public post; hold Ctrl (⌘ on a Mac) to choose several.",
    )

    @classmethod
    def initial_of(cls, monitor: Any) -> dict[str, Any]:
        return {
            "name": monitor.name,
            "query": monitor.query,
            "suppliers": list(monitor.suppliers.all()),
        }
