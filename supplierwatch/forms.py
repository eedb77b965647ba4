"""The base of the product's page forms, and how a form shows a service's refusal."""

from typing import Any

from django import forms

from .errors import ApplicationError
from .inputs import ID_MAX


def add_refusal(form: forms.BaseForm, error: ApplicationError, field: str | None = None) -> None:
    """Show a service's refusal beside the field it names (`field`, or the error's own), or
    above the form when the form has no such field."""
    name = field if field is not None else error.field
    form.add_error(name if name in form.fields else None, error.message)


def is_row_id(value: Any) -> bool:
    """Whether `value` (as submitted) is a number a row's id could be."""
    try:
        return 1 <= int(value) <= ID_MAX
    except (TypeError, ValueError):
        return False


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by their ids: an id no row could have is refused as any unknown
    choice, before the query that would fail on it."""

    def clean(self, value: Any) -> Any:
        if self.to_field_name is None and isinstance(value, list | tuple):
            for pk in value:
                if not is_row_id(pk):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": pk},
                    )
        return super().clean(value)


class Form(forms.Form):
    """A page form. Its labels carry no trailing colon: they sit on their own line above the
    field, or beside a checkbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
