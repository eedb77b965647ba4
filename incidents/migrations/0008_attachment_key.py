"""Attachments are addressed by a random key instead of their id, which numbered every upload in
sequence. Existing attachments get a key each; their old addresses stop working."""

import uuid

from django.db import migrations, models


def give_keys(apps, schema_editor):
    Attachment = apps.get_model("incidents", "Attachment")
    keyless = list(Attachment.objects.filter(key__isnull=True).only("id"))
    for attachment in keyless:
        attachment.key = uuid.uuid4()
    Attachment.objects.bulk_update(keyless, ["key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_events_record_their_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attachment",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
