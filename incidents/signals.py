"""What the incidents tell the apps above them, which they may not import (DESIGN.md: the import
graph is one way): `events_recorded`, sent once a transaction that recorded IncidentEvents has
committed, with their ids, and `monitor_alerts_recorded`, likewise for jumps in keyword monitors'
volume. The notifications listen to it; a periodic sweep catches whatever a
lost signal (a crash between commit and send) left behind."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from .models import IncidentEvent, MonitorAlert

# Sent with `event_ids` (a list of ints), after commit.
events_recorded = Signal()
# Sent with `alert_ids` (a list of ints), after commit: jumps in keyword monitors' volume.
monitor_alerts_recorded = Signal()


def events_announce(events: Iterable[IncidentEvent]) -> None:
    """Announce these saved events once the transaction commits (at once outside of one)."""
    event_ids = [event.pk for event in events if event.pk is not None]
    if event_ids:
        transaction.on_commit(
            lambda: events_recorded.send(sender=IncidentEvent, event_ids=event_ids)
        )


def monitor_alerts_announce(alerts: Iterable[MonitorAlert]) -> None:
    """Announce these saved monitor alerts once the transaction commits."""
    alert_ids = [alert.pk for alert in alerts if alert.pk is not None]
    if alert_ids:
        transaction.on_commit(
            lambda: monitor_alerts_recorded.send(sender=MonitorAlert, alert_ids=alert_ids)
        )
