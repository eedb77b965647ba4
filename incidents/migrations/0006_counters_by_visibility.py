"""Counters kept apart by whose identity a viewer may know: named reports and their organizations,
and the distinct authors of public posts. Existing incidents are counted from their evidence, as
services.incidents_recount counts them."""

from django.db import migrations, models
from django.db.models import Count, Q


def count_existing(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    PostMatch = apps.get_model("incidents", "PostMatch")
    named = Q(post__visibility="named")
    public = ~Q(post__source="buyer") & ~Q(post__author_handle="")
    rows = (
        PostMatch.objects.filter(incident__isnull=False)
        .exclude(post__visibility="private")
        .values("incident_id")
        .annotate(
            named_posts=Count("id", filter=named),
            named_organizations=Count("post__organization", distinct=True, filter=named),
            handles=Count("post__author_handle", distinct=True, filter=public),
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=2000):
        Incident.objects.filter(pk=row["incident_id"]).update(
            named_post_count=row["named_posts"],
            named_organization_count=row["named_organizations"],
            public_author_count=row["handles"],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_eight_d_labels_answer_edited_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="named_organization_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="incident",
            name="named_post_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="incident",
            name="public_author_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
