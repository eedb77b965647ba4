"""Forms of the buyer pages. They validate input; services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from suppliers.models import Supplier
from suppliers.selectors import supplier_resolve
from supplierwatch.errors import ApplicationError

from . import inputs
from .models import Category, Post, Severity
from .services.attachments import ALLOWED_DESCRIPTION, ALLOWED_TYPES, MAX_FILE_BYTES, MAX_FILES

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


class ReportForm(forms.Form):
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
    po_number = forms.CharField(label="PO number", max_length=inputs.CODE_MAX, required=False)
    sku = forms.CharField(label="SKU / part number", max_length=inputs.CODE_MAX, required=False)
    lot = forms.CharField(label="Lot / batch", max_length=inputs.CODE_MAX, required=False)
    quantity_affected = forms.IntegerField(
        label="Quantity affected", min_value=1, max_value=inputs.QUANTITY_MAX, required=False
    )
    category = forms.ModelChoiceField(
        label="Category",
        queryset=Category.objects.filter(is_active=True),
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
    files = MultipleFileField(
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
        kwargs.setdefault("label_suffix", "")
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
        field = self.SERVICE_FIELDS.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)
