from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from incidents.signals import events_recorded, monitor_alerts_recorded

        from .tasks import queue_generation, queue_monitor_alerts

        events_recorded.connect(queue_generation, dispatch_uid="notifications-generate")
        monitor_alerts_recorded.connect(
            queue_monitor_alerts, dispatch_uid="notifications-monitor-alerts"
        )
