"""Existing incidents' SLA start, time to first answer and time to resolution, as the lifecycle now
stores them: the clocks started at the whole hour at or after the incident was opened, or last
reopened by new evidence."""

from datetime import UTC, timedelta

from django.db import migrations


def _clock_start(moment):
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


def _elapsed(start, moment):
    return None if moment is None else max(moment - start, timedelta(0))


def fill(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    IncidentEvent = apps.get_model("incidents", "IncidentEvent")
    incidents = Incident.objects.filter(
        sla_started_at__isnull=True, acknowledge_due_at__isnull=False
    )
    for incident in incidents.iterator(chunk_size=500):
        reopened = (
            IncidentEvent.objects.filter(incident=incident, kind="reopened")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        start = _clock_start(reopened or incident.created_at)
        Incident.objects.filter(pk=incident.pk).update(
            sla_started_at=start,
            time_to_first_answer=_elapsed(start, incident.acknowledged_at),
            time_to_resolution=_elapsed(start, incident.resolved_at),
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_sla_alerts_and_times")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
