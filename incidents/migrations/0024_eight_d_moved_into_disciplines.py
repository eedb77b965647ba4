"""The five free-text fields of the 8D move into their disciplines: containment to D3, root cause
to D4, corrective action to D5, verification to D6 (implementation and verification) and
preventive action to D7 (prevention). Back again on the way down (the other disciplines' texts
have nowhere to go and are dropped)."""

from django.db import migrations
from django.db.models import Q

# The same map as incidents.models.eightd.FORMER_FIELDS, frozen here as migrations must be.
FORMER_FIELDS = {
    "containment": "d3",
    "root_cause": "d4",
    "corrective_action": "d5",
    "verification": "d6",
    "preventive_action": "d7",
}


def forwards(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    EightDStep = apps.get_model("incidents", "EightDStep")
    has_text = Q()
    for name in FORMER_FIELDS:
        has_text |= ~Q(**{name: ""})
    incidents = Incident.objects.filter(has_text).only("pk", *FORMER_FIELDS).order_by("pk")
    batch = []
    for incident in incidents.iterator(chunk_size=500):
        for name, discipline in FORMER_FIELDS.items():
            text = getattr(incident, name)
            if text:
                batch.append(EightDStep(incident_id=incident.pk, discipline=discipline, text=text))
        if len(batch) >= 1000:
            EightDStep.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    EightDStep.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    EightDStep = apps.get_model("incidents", "EightDStep")
    field_of = {discipline: name for name, discipline in FORMER_FIELDS.items()}
    steps = EightDStep.objects.filter(discipline__in=field_of).exclude(text="").order_by("pk")
    for step in steps.iterator(chunk_size=500):
        Incident.objects.filter(pk=step.incident_id).update(
            **{field_of[step.discipline]: step.text}
        )
    EightDStep.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0023_eight_d_disciplines"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
