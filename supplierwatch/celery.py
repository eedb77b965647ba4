import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supplierwatch.settings")

app = Celery("supplierwatch")
# Every CELERY_* setting in settings.py configures the app (acks_late, time limits, JSON only).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_to_work_without_secret_key(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from supplierwatch import require_secret_key

    # Celery logs and swallows an exception raised by a signal handler; SystemExit stops the worker.
    try:
        require_secret_key()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"supplierwatch worker: {exc}") from exc


@worker_process_init.connect
def _freeze_loaded_objects(**kwargs) -> None:
    from supplierwatch import freeze_loaded_objects

    freeze_loaded_objects()
