from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from supplierwatch.forms import Form


class EmailAuthenticationForm(AuthenticationForm):
    """The login form, labelled for what people actually type: their e-mail address."""

    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


# --- Teams (a supplier's, a buyer organization's) ------------------------------------------------

ROLE_CHOICES = [
    ("viewer", "Viewer: reads incidents and their evidence"),
    ("responder", "Responder: also acknowledges, assigns, answers and resolves incidents"),
    ("admin", "Admin: also invites colleagues and sets their roles"),
]
BUYER_ROLE_CHOICES = [
    ("member", "Member: reports problems, searches, follows and exports incidents"),
    ("admin", "Admin: also invites colleagues, sets their roles and keeps the vendor codes"),
]


class TeamInviteForm(Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Your colleague's work address; they log in with it.",
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    role = forms.ChoiceField(
        label="Role", choices=ROLE_CHOICES, initial="responder", widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, buyer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if buyer:
            role = self.fields["role"]
            assert isinstance(role, forms.ChoiceField)
            role.choices = BUYER_ROLE_CHOICES
            role.initial = "member"


class TeamRoleForm(Form):
    role = forms.ChoiceField(label="Role", choices=[(v, v.capitalize()) for v, _ in ROLE_CHOICES])

    def __init__(self, *args: Any, buyer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if buyer:
            role = self.fields["role"]
            assert isinstance(role, forms.ChoiceField)
            role.choices = [(v, v.capitalize()) for v, _ in BUYER_ROLE_CHOICES]


class VendorCodeAddForm(Form):
    """One of the organization's vendor codes and the supplier it names (services.vendor_code_add
    checks both, as for an ERP's upload)."""

    code = forms.CharField(label="Vendor code", max_length=64)
    name = forms.CharField(
        label="Supplier",
        max_length=200,
        help_text="Its name or an alias. A name supplierwatch does not know yet adds the supplier, "
        "proposed to the operators for everyone's matching.",
    )
