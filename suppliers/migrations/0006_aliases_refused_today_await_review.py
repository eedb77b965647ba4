"""Aliases stored before aliases had a state stay active: they were accepted then, and nobody
recorded who added one, so a buyer's cannot be told from an operator's or the supplier's own;
making them all proposals would stop the matching of every supplier until an operator approved
each. Those that today's rule refuses are how an alias that re-points everyone's matching looks
("the", "#fail", another supplier's name): they go back to proposed, out of matching, for an
operator to approve (once corrected) or reject in the admin."""

from django.db import migrations

BATCH = 500


def refused_aliases_to_review(apps, schema_editor):
    SupplierAlias = apps.get_model("suppliers", "SupplierAlias")
    Supplier = apps.get_model("suppliers", "Supplier")
    if not SupplierAlias.objects.exists():
        return
    # Today's rule, applied once to the rows that exist when this runs.
    from suppliers.inputs import alias_refusal

    supplier_named = {name.lower(): pk for pk, name in Supplier.objects.values_list("id", "name")}
    refused = []
    rows = SupplierAlias.objects.values_list("id", "supplier_id", "kind", "text")
    for pk, supplier_id, kind, text in rows.iterator():
        named = supplier_named.get(text.lower())
        if alias_refusal(kind, text) is not None or named not in (None, supplier_id):
            refused.append(pk)
    for start in range(0, len(refused), BATCH):
        SupplierAlias.objects.filter(pk__in=refused[start : start + BATCH]).update(state="proposed")


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0005_alias_state"),
    ]

    operations = [
        migrations.RunPython(refused_aliases_to_review, migrations.RunPython.noop),
    ]
