"""What every response to a signed-in person carries, whichever view answered it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """No browser or proxy keeps what was answered to a signed-in person: `Cache-Control:
    no-store, private` (with Django's other never-cache headers) on pages, exports and API
    answers, so that nobody reads an incident from the cache of a shared computer or proxy after
    its user has logged out.

    A person is signed in by an API key (the API view's own authentication, which sets
    `request.user`) or by the session, whose user is taken before the view: a view that
    authenticates nobody, such as the schema's, sets `request.user` to an anonymous one. Static
    files are answered before this middleware and keep their caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Lazy: the session is read only when the answer is about to leave.
        session_user = request.user
        response = self.get_response(request)
        if request.user.is_authenticated or session_user.is_authenticated:
            add_never_cache_headers(response)
        return response
