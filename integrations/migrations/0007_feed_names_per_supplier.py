"""A feed's name is unique among its owner's feeds only; the source of its posts, unique
everywhere, gets a column of its own. The feeds already there keep their name as their source, so
the posts they brought stay theirs."""

from django.db import migrations, models
from django.db.models import F, Q


def sources_from_names(apps, schema_editor):
    apps.get_model("integrations", "Feed").objects.update(source=F("name"))


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0006_dispute_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="feed",
            name="source",
            field=models.CharField(default="", help_text="The source of its posts.", max_length=50),
            preserve_default=False,
        ),
        migrations.RunPython(sources_from_names, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="feed",
            name="source",
            field=models.CharField(
                help_text="The source of its posts.", max_length=50, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="feed",
            name="name",
            field=models.CharField(help_text="Unique among its owner's feeds.", max_length=50),
        ),
        migrations.AddConstraint(
            model_name="feed",
            constraint=models.UniqueConstraint(
                fields=("supplier", "name"), name="feed_name_per_supplier"
            ),
        ),
        migrations.AddConstraint(
            model_name="feed",
            constraint=models.UniqueConstraint(
                condition=Q(supplier__isnull=True),
                fields=("name",),
                name="feed_name_of_operators",
            ),
        ),
    ]
