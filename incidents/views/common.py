from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their home: buyers to /buyer/, supplier staff to /portal/."""
    if not request.user.is_authenticated:
        return redirect("login")
    membership = request.user.party
    if membership is not None and membership.is_buyer:
        return redirect("buyer-home")
    if membership is not None and membership.is_supplier_staff:
        return redirect("portal-home")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "no_party.html", status=403)


def _party_required(check: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = request.user.party
            if membership is None or not getattr(membership, check):
                raise PermissionDenied("This page belongs to another kind of account.")
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator


buyer_required = _party_required("is_buyer")
supplier_staff_required = _party_required("is_supplier_staff")
