from .celery import app as celery_app

__all__ = ("celery_app", "require_secret_key")


def require_secret_key() -> None:
    """Refuse to serve or work without a SECRET_KEY: sessions and signatures would be forgeable."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
