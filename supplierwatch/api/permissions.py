"""Who may call what. Which objects they see is decided by the `visible_to` QuerySet methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from supplierwatch.viewers import Kind, Viewer, viewer_of


def request_viewer(request: Request) -> Viewer:
    """The viewer a request acts as: its API key's service user's party, or the signed-in person."""
    return viewer_of(request.user)


class HasParty(BasePermission):
    """A key, or a person, of a buyer organization or a supplier (or an operator)."""

    message = "This account belongs to no organization or supplier yet."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_viewer(request).kind is not Kind.NOBODY


class HasScope(BasePermission):
    """Reading needs the read scope, which every key has; anything else needs the write scope."""

    message = "This key (or account) may only read; this request needs the write scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # request.auth is the API key (integrations.models.ApiKey, which this toolkit does not
        # import: every app uses the toolkit, and integrations sits above them all).
        if hasattr(request.auth, "can_write"):
            return bool(request.auth.can_write)
        # A person signed in to the site: a supplier's viewers only read.
        return not request_viewer(request).is_read_only


class IsBuyer(BasePermission):
    message = "Only buyer organizations' keys can use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_viewer(request).is_buyer


class IsSupplierStaff(BasePermission):
    message = "Only suppliers' keys can use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_viewer(request).is_supplier_staff


def with_defaults(*extra: type[BasePermission]) -> list[type[BasePermission]]:
    """The project's default permissions (authenticated, in a party, scope) plus `extra`."""
    from rest_framework.settings import api_settings

    # Settings name them by dotted path; api_settings hands them over imported (the stubs
    # still type them as the strings).
    defaults = cast("Sequence[type[BasePermission]]", api_settings.DEFAULT_PERMISSION_CLASSES)
    return [*defaults, *extra]
