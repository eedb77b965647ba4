"""Reads of saved views: the ones a person may open, for the navigation and the lists."""

from __future__ import annotations

from django.db.models import QuerySet

from supplierwatch.viewers import Viewer

from .. import inputs
from ..models import SavedView


def list_of(viewer: Viewer) -> str | None:
    """The incident list this viewer works with: the portal's for a supplier's staff, the
    buyers' for buyers and operators."""
    if viewer.is_supplier_staff:
        return inputs.PORTAL_LIST
    if viewer.is_buyer or viewer.is_operator:
        return inputs.BUYER_LIST
    return None


def saved_views_for(*, viewer: Viewer) -> QuerySet[SavedView]:
    """The views of the viewer's list it may open: its own and those shared with its party, by
    name, with their owners (one query)."""
    list_name = list_of(viewer)
    if list_name is None:
        return SavedView.objects.none()
    return (
        SavedView.objects.visible_to(viewer)
        .filter(list_name=list_name)
        .select_related("owner")
        .order_by("name", "id")
    )
