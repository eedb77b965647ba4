from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: API keys and webhooks"

    def ready(self) -> None:
        from incidents.services.ingest import sources_owned_by

        # Registers the OpenAPI description of the API-key authentication.
        from . import schema  # noqa: F401
        from .models import Feed

        # A feed's source is its own: posts sent through the API may not pose as its posts.
        sources_owned_by(lambda source: Feed.objects.filter(source=source).exists())
