"""What the apps' admin pages share. Rows with rules change only through the services, which let
operators act; these pages offer exactly that, and show a refused value beside its field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from .errors import ApplicationError
from .forms import add_refusal
from .viewers import viewer_of


class OperatorsChangeAdmin(admin.ModelAdmin):
    """An admin whose rows are changed and deleted through services that let operators alone
    act: other staff read them (with the view permission) and are offered nothing the service
    would refuse."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        is_operator = viewer_of(request.user).is_operator
        return is_operator and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        is_operator = viewer_of(request.user).is_operator
        return is_operator and super().has_delete_permission(request, obj)


@contextmanager
def refusals_shown(form: forms.BaseForm) -> Iterator[None]:
    """Within a form's clean(): an input rule's refusal becomes the error of the field it names
    (of the whole form when the form has no such field), as the service would refuse it."""
    try:
        yield
    except ApplicationError as exc:
        add_refusal(form, exc)
