"""Who may call what. Which objects they see is decided by the `visible_to` QuerySet methods."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from suppliers.models import Membership


def _membership(request: Request) -> Membership | None:
    user = request.user
    return user.party if user is not None and user.is_authenticated else None


class HasParty(BasePermission):
    """A key, or a person, of a buyer organization or a supplier (or an operator)."""

    message = "This account belongs to no organization or supplier yet."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and (
            user.is_superuser or _membership(request) is not None
        )


class HasScope(BasePermission):
    """Reading needs the read scope, which every key has; anything else needs the write scope."""

    message = "This key (or account) may only read; this request needs the write scope."

    def has_permission(self, request: Request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # request.auth is the ApiKey (not imported here: the suppliers app's API uses this module,
        # and suppliers never depends on incidents, which integrations' models do).
        if hasattr(request.auth, "can_write"):
            return request.auth.can_write
        # A person signed in to the site: a supplier's viewers only read.
        membership = _membership(request)
        return membership is None or membership.role != Membership.Role.VIEWER


class IsBuyer(BasePermission):
    message = "Only buyer organizations' keys can use this endpoint."

    def has_permission(self, request: Request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.is_buyer


class IsSupplierStaff(BasePermission):
    message = "Only suppliers' keys can use this endpoint."

    def has_permission(self, request: Request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.is_supplier_staff


def with_defaults(*extra: type[BasePermission]) -> list[type[BasePermission]]:
    """The project's default permissions (authenticated, in a party, scope) plus `extra`."""
    from rest_framework.settings import api_settings

    return [*api_settings.DEFAULT_PERMISSION_CLASSES, *extra]
