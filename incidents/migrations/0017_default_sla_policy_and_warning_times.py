"""The default SLA policy from the promises that were fixed in code until now (so nothing changes
for anyone), and the warning times of the clocks already running, as the SLA check used to compute
them: a part (settings.SW_SLA_WARNING_FRACTION) of the promised time before each due time."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations

# Severity: (hours to a first answer, hours to resolution), as they were in code.
PROMISES = {4: (4, 72), 3: (24, 168), 2: (72, 336), 1: (120, 720)}
OPEN = ("new", "acknowledged", "investigating", "reopened")


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("incidents", "SlaPolicy")
    Incident = apps.get_model("incidents", "Incident")
    for severity, (first, resolution) in PROMISES.items():
        SlaPolicy.objects.get_or_create(
            supplier=None,
            severity=severity,
            defaults={"first_answer_hours": first, "resolution_hours": resolution},
        )
    fraction = settings.SW_SLA_WARNING_FRACTION
    running = Incident.objects.filter(status__in=OPEN, sla_started_at__isnull=False)
    for incident in running.iterator():
        first, resolution = PROMISES.get(incident.severity, PROMISES[2])
        if incident.acknowledge_due_at is not None:
            incident.acknowledge_warn_at = incident.acknowledge_due_at - timedelta(
                hours=first * fraction
            )
        if incident.resolve_due_at is not None:
            incident.resolve_warn_at = incident.resolve_due_at - timedelta(
                hours=resolution * fraction
            )
        incident.save(update_fields=["acknowledge_warn_at", "resolve_warn_at"])


def backwards(apps, schema_editor):
    apps.get_model("incidents", "SlaPolicy").objects.filter(supplier=None).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0016_sla_policies_calendars_and_pause")]

    operations = [migrations.RunPython(forwards, backwards)]
