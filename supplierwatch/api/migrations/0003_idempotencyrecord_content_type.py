"""The idempotency record's content type (and so its permissions, which staff may have been
given) moves with the model from `integrations` to `api`."""

from django.db import migrations


def _move(apps, schema_editor, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    manager = content_type.objects.db_manager(schema_editor.connection.alias)
    if manager.filter(app_label=target, model="idempotencyrecord").exists():
        return  # made already (a database created after the move): nothing to carry over
    manager.filter(app_label=source, model="idempotencyrecord").update(app_label=target)


def forwards(apps, schema_editor) -> None:
    _move(apps, schema_editor, "integrations", "api")


def backwards(apps, schema_editor) -> None:
    _move(apps, schema_editor, "api", "integrations")


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_idempotencyrecord_table"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
