"""What the admin's pages of evidence and incidents share: actions that ask for a value, applying a
service to each selected row, and read-only pages of what the product records itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from supplierwatch.errors import ApplicationError


def action_form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    intro: str,
    form: forms.Form,
    submit: str,
) -> TemplateResponse:
    """The page between an admin action and applying it, when it needs a value."""
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": model_admin.model._meta,
            "objects": queryset,
            "form": form,
            "action": action,
            "submit": submit,
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
