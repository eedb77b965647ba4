"""Complaints counted per day (ComplaintDay), filled from the existing grouped evidence in one
INSERT ... SELECT, as services.complaint_days.complaint_days_rebuild counts them."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models
from django.db.models import Case, Count, F, IntegerField, When
from django.db.models.functions import TruncDate
from django.utils import timezone


def count_existing(apps, schema_editor):
    PostMatch = apps.get_model("incidents", "PostMatch")
    ComplaintDay = apps.get_model("incidents", "ComplaintDay")
    connection = schema_editor.connection
    private = When(post__visibility="private", then=F("post__organization_id"))
    counted = (
        PostMatch.objects.using(connection.alias)
        .filter(is_primary=True, incident__isnull=False)
        .annotate(
            day=TruncDate("post__published_at", tzinfo=timezone.get_default_timezone()),
            key_supplier=F("supplier_id"),
            key_category=F("post__predicted_category_id"),
            key_private_to=Case(private, default=None, output_field=IntegerField()),
        )
        .values("day", "key_supplier", "key_category", "key_private_to")
        .annotate(n=Count("id"))
        .order_by()
    )
    select, params = counted.query.sql_with_params()
    table = connection.ops.quote_name(ComplaintDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, supplier_id, category_id, private_to_id, n) "  # noqa: S608
            f"SELECT c.day, c.key_supplier, c.key_category, c.key_private_to, c.n "
            f"FROM ({select}) AS c",
            params,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0035_post_author_handle"),
        ("suppliers", "0007_invitations_to_organizations"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComplaintDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("n", models.IntegerField(default=0)),
                (
                    "category",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="incidents.category",
                    ),
                ),
                (
                    "private_to",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="suppliers.organization",
                    ),
                ),
                (
                    "supplier",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="suppliers.supplier",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["supplier", "day"], name="complaint_day_supplier"),
                    models.Index(fields=["day", "private_to", "n"], name="complaint_day_network"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("day"),
                        models.F("supplier"),
                        django.db.models.functions.comparison.Coalesce(
                            models.F("category"), models.Value(0)
                        ),
                        django.db.models.functions.comparison.Coalesce(
                            models.F("private_to"), models.Value(0)
                        ),
                        name="complaint_day_key",
                    )
                ],
            },
        ),
        # Backwards, the table goes with its rows.
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
