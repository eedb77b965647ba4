from django import forms

from supplierwatch.forms import Form


class ApiKeyForm(Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the key is for, e.g. “SAP connector”.",
    )
    can_write = forms.BooleanField(
        label="Write scope",
        required=False,
        help_text="Without it the key only reads.",
    )
