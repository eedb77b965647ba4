import django.db.models.deletion
from django.db import migrations, models

# Each match copies its post's time, visibility and reporting organization (PostMatch.POST_COPIES),
# filled here for the matches stored before, in one statement.
COPY_POSTS = """
    UPDATE incidents_postmatch
       SET post_published_at = post.published_at,
           post_visibility = post.visibility,
           post_organization_id = post.organization_id
      FROM incidents_post AS post
     WHERE post.id = incidents_postmatch.post_id
"""

# An incident's evidence by the hour of its time, newest first (PostQuerySet.in_shown_order:
# hour_of, a Trunc to the hour in UTC, whose SQL this is), holding what the chart counts and
# what decides who may read it, so that both are read from the index alone. PostgreSQL only:
# elsewhere incidents are small, and SQLite's truncation is a Python function.
SHOWN_INDEX = """
    CREATE INDEX IF NOT EXISTS match_incident_shown ON incidents_postmatch
    ("incident_id", (DATE_TRUNC('hour', "post_published_at" AT TIME ZONE 'UTC')) DESC)
    INCLUDE ("post_published_at", "post_visibility", "post_organization_id")
    WHERE "incident_id" IS NOT NULL
"""


def add_shown_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SHOWN_INDEX)


def remove_shown_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS match_incident_shown")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0036_complaint_days"),
        ("suppliers", "0007_invitations_to_organizations"),
    ]

    operations = [
        migrations.AddField(
            model_name="postmatch",
            name="post_published_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="postmatch",
            name="post_visibility",
            field=models.CharField(
                choices=[
                    ("private", "Private: my organization only"),
                    ("anonymous", "Anonymous: counted for everyone, shown without my identity"),
                    ("named", "Named: the supplier may see who reported it"),
                    ("public", "Public post"),
                ],
                default="",
                editable=False,
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="postmatch",
            name="post_organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="suppliers.organization",
            ),
        ),
        migrations.RunSQL(COPY_POSTS, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="postmatch",
            name="post_published_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="postmatch",
            index=models.Index(
                condition=models.Q(("post_organization__isnull", False)),
                fields=["incident", "post_organization"],
                include=("post_visibility",),
                name="match_incident_reporter",
            ),
        ),
        migrations.RunPython(add_shown_index, remove_shown_index),
    ]
