from __future__ import annotations

from django.http import HttpRequest

from .viewers import Viewer, viewer_of


def viewer(request: HttpRequest) -> dict[str, Viewer]:
    """`viewer` in every template: who is looking (supplierwatch.viewers)."""
    return {"viewer": viewer_of(getattr(request, "user", None))}
