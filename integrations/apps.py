from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: API keys and webhooks"

    def ready(self) -> None:
        # Registers the OpenAPI description of the API-key authentication.
        from . import schema  # noqa: F401
