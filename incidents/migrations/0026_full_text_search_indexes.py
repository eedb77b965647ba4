"""The full-text search indexes of the incident lists' search (selectors.search): expression
indexes on the evidence's text and the incident's title, PostgreSQL only. They are expressions,
not stored columns, so every write keeps them up to date without code; queries must use the same
expression (selectors.search.text_vector, configuration "english") to use them. On other databases
the search reads the text without an index, and nothing is created."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = {
    "post": GinIndex(SearchVector("text", config="english"), name="post_text_search"),
    "incident": GinIndex(SearchVector("title", config="english"), name="incident_title_search"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.add_index(apps.get_model("incidents", model_name), index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.remove_index(apps.get_model("incidents", model_name), index)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0025_eight_d_former_fields_removed"),
    ]

    operations = [migrations.RunPython(create, drop)]
