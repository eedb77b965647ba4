"""The API's documentation pages: Swagger UI and Redoc, served from the product's own static files
(drf-spectacular-sidecar, SPECTACULAR_SETTINGS) under the site's content security policy.

The pages use templates of our own (templates/api/) that extend drf-spectacular's: no inline
style, no web fonts from elsewhere, and Swagger UI's start-up script carries the response's nonce.
Each view adds to the site's policy only what its viewer needs."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

# The page carries a nonce, which a cached copy would hand out again.
_never_cached = method_decorator(never_cache, name="dispatch")


@_never_cached
@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class SwaggerUiView(SpectacularSwaggerView):
    """Swagger UI draws its icons from data: URLs in its stylesheet."""

    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # drf-spectacular lets cross-origin windows keep a handle on the page for OAuth2 pop-ups;
        # this API has no OAuth2, so the site's same-origin policy (SecurityMiddleware) applies.
        del response.headers["Cross-Origin-Opener-Policy"]
        return response


# Redoc (static/js/api-redoc.js) hands the page's nonce to its own <style> elements, but its bundle
# writes two before it is started: perfect-scrollbar's stylesheet and an empty one. Their hashes
# let exactly those in; a Redoc whose bundle writes others shows in tests/e2e/test_csp.py.
REDOC_STYLE_HASHES = [
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]


@_never_cached
@method_decorator(
    csp_update({"img-src": ["data:"], "style-src": REDOC_STYLE_HASHES, "worker-src": ["blob:"]}),
    name="dispatch",
)
class RedocView(SpectacularRedocView):
    """Redoc searches in a web worker that it starts from a blob: URL. Its sidebar's Redocly badge
    is an image from Redocly's CDN, which the policy refuses: no request leaves for a third party
    (an open request to Redoc, Redocly/redoc#2141)."""

    template_name = "api/redoc.html"
