"""Saved views of the incident lists: save one (for oneself, or shared with one's party), delete
one's own."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from .. import inputs
from ..models import SavedView

# Who may keep views of which list: the buyers' list is the buyers' (and operators'), the
# portal's is a supplier's staff's.
NOT_YOUR_LIST = "This list belongs to another kind of account."


@transaction.atomic
def saved_view_save(
    *,
    owner: User,
    name: str,
    list_name: str,
    filters: Iterable[tuple[str, str]],
    shared: bool = False,
) -> SavedView:
    """Save (or, under a name the owner already gave a view of this list, replace) the list's
    filters. A shared view is shared with the owner's organization or supplier team."""
    viewer = owner.viewer
    clean_name = inputs.clean_saved_view_name(name)
    query = inputs.clean_saved_query(list_name, filters)
    allowed = {
        inputs.BUYER_LIST: viewer.is_buyer or viewer.is_operator,
        inputs.PORTAL_LIST: viewer.is_supplier_staff,
    }
    if not allowed[list_name]:
        raise ApplicationError(NOT_YOUR_LIST, field="list_name")
    if shared and viewer.organization_id is None and viewer.supplier_id is None:
        raise ApplicationError("Only members of a team can share a view.", field="shared")
    party = {
        "organization_id": viewer.organization_id if shared else None,
        "supplier_id": viewer.supplier_id if shared else None,
    }
    try:
        with transaction.atomic():
            saved, _ = SavedView.objects.update_or_create(
                owner=owner,
                list_name=list_name,
                name=clean_name,
                defaults={"query": query, "shared": shared, **party},
            )
    except IntegrityError as clash:  # the same name saved twice at once
        raise ApplicationError("A view with this name was just saved.", field="name") from clash
    return saved


@transaction.atomic
def saved_view_delete(*, actor: User, saved_view: SavedView) -> None:
    """Only its owner deletes a view; colleagues it is shared with only use it."""
    if saved_view.owner_id != actor.pk:
        raise ApplicationError("Only the person who saved this view may delete it.")
    saved_view.delete()
