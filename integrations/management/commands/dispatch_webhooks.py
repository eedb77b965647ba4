"""python manage.py dispatch_webhooks [--loop SECONDS]: Celery beat's job, for a machine without it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from integrations.services import webhook_events_dispatch


class Command(BaseCommand):
    help = (
        "Turn new incident events into webhook deliveries and send them. Celery beat does this "
        "every few seconds; without Redis (make run) run this, once or with --loop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=float, metavar="SECONDS", help="Repeat every SECONDS until stopped."
        )

    def handle(self, *args, **options) -> None:
        while True:
            total = 0
            while dispatched := webhook_events_dispatch():
                total += dispatched
            if total:
                self.stdout.write(f"dispatched {total} event(s)")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
