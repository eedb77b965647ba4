"""What the admin's pages of evidence and incidents share: actions that ask for a value, applying a
service to each selected row, and read-only pages of what the product records itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.template.response import TemplateResponse

from supplierwatch.errors import ApplicationError


@dataclass(frozen=True)
class Question:
    """What an admin action that needs a value (a severity, a colleague) asks for, on its page."""

    action: str
    title: str
    intro: str
    submit: str


def submitted(request: HttpRequest) -> QueryDict | None:
    """The values of the action's page once it is sent (None when the action was just chosen)."""
    return request.POST if "apply" in request.POST else None


def ask(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    form: forms.Form,
    question: Question,
    then: Callable[[dict[str, Any]], None],
) -> TemplateResponse | None:
    """The page between choosing an action and applying it; `then` gets the form's values once
    they come back valid."""
    if form.is_bound and form.is_valid():
        then(form.cleaned_data)
        return None
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": question.title,
            "intro": question.intro,
            "opts": model_admin.model._meta,
            "objects": queryset,
            "form": form,
            "action": question.action,
            "submit": question.submit,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def apply_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    perform: Callable[[Any], object],
    done: str,
) -> None:
    """Call a service for each selected row; report how many it changed and every refusal."""
    count = 0
    for obj in queryset:
        try:
            perform(obj)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, f"{count} {done}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the product derives or records itself (matches, the timeline): looked at, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
