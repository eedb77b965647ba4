"""A report's PO number is taken out of its text when it is stored (inputs.redact_po_number); the
reports stored before are cleaned the same way. The PO number stays in its own field."""

from django.db import migrations

from incidents.inputs import redact_po_number


def redact(apps, schema_editor):
    Post = apps.get_model("incidents", "Post")
    with_po = (
        Post.objects.filter(source="buyer").exclude(po_number="").only("id", "text", "po_number")
    )
    changed = []
    for post in with_po.iterator(chunk_size=1000):
        text = redact_po_number(post.text, post.po_number)
        if text != post.text:
            post.text = text
            changed.append(post)
    Post.objects.bulk_update(changed, ["text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_attachment_key"),
    ]

    operations = [
        migrations.RunPython(redact, migrations.RunPython.noop),
    ]
