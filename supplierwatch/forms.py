"""The base of the product's page forms, and how a form shows a service's refusal."""

from typing import Any

from django import forms

from .errors import ApplicationError


def add_refusal(form: forms.BaseForm, error: ApplicationError, field: str | None = None) -> None:
    """Show a service's refusal beside the field it names (`field`, or the error's own), or
    above the form when the form has no such field."""
    name = field if field is not None else error.field
    form.add_error(name if name in form.fields else None, error.message)


class Form(forms.Form):
    """A page form. Its labels carry no trailing colon: they sit on their own line above the
    field, or beside a checkbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
