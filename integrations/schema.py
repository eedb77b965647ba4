"""How the API-key authentication appears in the OpenAPI schema (imported by the app's ready())."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiKeyAuthentication"
    # Two spellings of one key: either header authenticates.
    name = ["ApiKeyAuth", "BearerAuth"]

    def get_security_requirement(self, auto_schema) -> list[dict]:
        return [{"ApiKeyAuth": []}, {"BearerAuth": []}]

    def get_security_definition(self, auto_schema) -> list[dict]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": (
                    "`Authorization: Api-Key sw_live_<prefix>_<secret>`. Keys are issued to a "
                    "buyer organization or a supplier with `python manage.py create_api_key` and "
                    "shown once."
                ),
            },
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "sw_live_<prefix>_<secret>",
                "description": "The same key as `Authorization: Bearer <key>`.",
            },
        ]
