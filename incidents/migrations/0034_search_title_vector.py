"""The incident search, faster on PostgreSQL (selectors.search):

- the title's words are stored (Incident.title_vector, a column the database generates), so that
  ranking a search's matches reads them instead of parsing every matching title again; its
  full-text index replaces migration 0026's expression index on the title, under the same name;
- lots and SKUs, which the search finds by any part (`icontains`), get trigram indexes (pg_trgm),
  so that a search no longer reads every incident for them.

The indexes are PostgreSQL's only; on other databases the column holds nothing."""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

import incidents.models.values

TITLE_EXPRESSION_INDEX = GinIndex(
    SearchVector("title", config="english"), name="incident_title_search"
)
TITLE_INDEX = GinIndex(fields=["title_vector"], name="incident_title_search")
# The expression of `field__icontains` on PostgreSQL, UPPER("field"::text), that the planner
# matches against an index's.
TRIGRAM_INDEXES = {
    "incident_lot_trgm": ("incidents_incident", "lot"),
    "incident_sku_trgm": ("incidents_incident", "sku"),
    "post_lot_trgm": ("incidents_post", "lot"),
    "post_sku_trgm": ("incidents_post", "sku"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension (PostgreSQL 13+): the database's owner may create it. Left in place when
    # the migration is reversed: other objects may use it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    incident = apps.get_model("incidents", "incident")
    schema_editor.remove_index(incident, TITLE_EXPRESSION_INDEX)
    schema_editor.add_index(incident, TITLE_INDEX)
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    incident = apps.get_model("incidents", "incident")
    schema_editor.remove_index(incident, TITLE_INDEX)
    schema_editor.add_index(incident, TITLE_EXPRESSION_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0033_list_and_evidence_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="title_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=incidents.models.values.SearchDocument("title"),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.RunPython(create, drop),
    ]
