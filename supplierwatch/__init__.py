from .celery import app as celery_app

__all__ = ("celery_app", "freeze_loaded_objects", "require_secret_key")


def require_secret_key() -> None:
    """Refuse to serve or work without a SECRET_KEY: sessions and signatures would be forgeable."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")


def freeze_loaded_objects() -> None:
    """Import every view now and keep everything loaded so far out of the garbage collector's
    full collections (gc.freeze). Those walk every tracked object: over the whole application they
    paused a request for a quarter of a second every few seconds; now they walk only what requests
    and tasks leave behind. Called once a web or worker process has loaded the application."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loading the URLconf imports every view)
    gc.freeze()
