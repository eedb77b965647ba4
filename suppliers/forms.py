from django import forms
from django.contrib.auth.forms import AuthenticationForm

from supplierwatch.forms import Form


class EmailAuthenticationForm(AuthenticationForm):
    """The login form, labelled for what people actually type: their e-mail address."""

    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


# --- Supplier team ------------------------------------------------------------------------------

ROLE_CHOICES = [
    ("viewer", "Viewer: reads incidents and their evidence"),
    ("responder", "Responder: also acknowledges, assigns, answers and resolves incidents"),
    ("admin", "Admin: also invites colleagues and sets their roles"),
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


class TeamRoleForm(Form):
    role = forms.ChoiceField(label="Role", choices=[(v, v.capitalize()) for v, _ in ROLE_CHOICES])
