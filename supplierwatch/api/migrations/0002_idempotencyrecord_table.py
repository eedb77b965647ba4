from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("integrations", "0002_idempotencyrecord_moved_to_api"),
    ]

    operations = [
        migrations.AlterModelTable(name="idempotencyrecord", table=None),
    ]
