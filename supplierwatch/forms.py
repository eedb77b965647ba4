"""The base of the product's page forms."""

from typing import Any

from django import forms


class Form(forms.Form):
    """A page form. Its labels carry no trailing colon: they sit on their own line above the
    field, or beside a checkbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
