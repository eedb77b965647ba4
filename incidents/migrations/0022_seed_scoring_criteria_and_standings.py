"""The scorecard's criteria and standings as they start; operators edit them in the admin.

Values written out here (not read from incidents.scoring) so that this migration seeds the same
rows whatever the code becomes.
"""

from django.db import migrations

# (key, weight, worst): worst is the figure at which a "less is better" criterion scores 0.
CRITERIA = [
    ("complaints_per_organization", 20, 10),
    ("public_complaints", 10, 20),
    ("first_answer_on_time", 15, 0),
    ("first_answer_median_hours", 5, 72),
    ("resolution_on_time", 15, 0),
    ("resolution_median_hours", 5, 336),
    ("reopenings", 10, 5),
    ("units_affected", 10, 1000),
    ("disputes_upheld", 10, 5),
]
STANDINGS = [("Excellent", 90), ("Good", 75), ("Fair", 50), ("Poor", 0)]


def seed(apps, schema_editor):
    ScoringCriterion = apps.get_model("incidents", "ScoringCriterion")
    Standing = apps.get_model("incidents", "Standing")
    for position, (key, weight, worst) in enumerate(CRITERIA):
        ScoringCriterion.objects.get_or_create(
            key=key, defaults={"weight": weight, "worst": worst, "position": position}
        )
    for name, min_score in STANDINGS:
        Standing.objects.get_or_create(name=name, defaults={"min_score": min_score})


def unseed(apps, schema_editor):
    apps.get_model("incidents", "ScoringCriterion").objects.filter(
        key__in=[key for key, _, _ in CRITERIA]
    ).delete()
    apps.get_model("incidents", "Standing").objects.filter(
        name__in=[name for name, _ in STANDINGS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0021_scorecards")]

    operations = [migrations.RunPython(seed, unseed)]
