"""IdempotencyRecord belongs to the API toolkit (supplierwatch.api) now; its table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
        ),
    ]
