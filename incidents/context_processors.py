from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from supplierwatch.viewers import viewer_of

from .selectors import saved_views_for

# The navigation shows at most this many; the list pages show them all.
NAV_SAVED_VIEWS = 20


def saved_views(request: HttpRequest) -> dict[str, object]:
    """`saved_views` in every template: the views the person may open, one query, only when a
    page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = viewer_of(user)
    return {
        "saved_views": SimpleLazyObject(
            lambda: list(saved_views_for(viewer=viewer)[:NAV_SAVED_VIEWS])
        )
    }
