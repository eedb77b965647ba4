from django.db import migrations

# The portal home's two short lists of a supplier's open incidents (selectors.portal_overview),
# read in their order from an index rather than sorted from all of them: the most severe
# (severity, then INCIDENT_ORDER: hour_of("last_activity_at"), a Trunc to the hour in UTC whose
# SQL this is, then the id) and the overdue (severity, then the resolution's due time).
# PostgreSQL only, as the lists' indexes of migration 0033: elsewhere the lists are small.
OPEN = "status IN ('new', 'acknowledged', 'investigating', 'reopened')"
INDEXES = {
    "incident_supplier_open_severe": """"supplier_id", "severity" DESC, """
    """(DATE_TRUNC('hour', "last_activity_at" AT TIME ZONE 'UTC')) DESC, "id" DESC""",
    "incident_supplier_open_due": '"supplier_id", "severity" DESC, "resolve_due_at", "id"',
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON incidents_incident ({columns}) WHERE {OPEN}"
        )


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0039_incidents_counted_per_supplier_from_an_index"),
    ]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
