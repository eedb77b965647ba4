"""Events that evidence brought record whose reports they brought (services.reports_brought), so
that they are dated to the hour for whoever may not know the reporters. Existing `post_added`
events are described from the posts they list; the other events evidence brought (an incident
opened or reopened, a severity a report raised) name no posts, so they are taken to have brought
an anonymous report of an unknown organization: shown to the hour to everyone but operators."""

from django.db import migrations

UNKNOWN = {"buyer_reports": 1, "unnamed_reports": 1, "report_organization": None}


def _brought(posts):
    reports = [post for post in posts if post["source"] == "buyer"]
    organizations = {post["organization_id"] for post in reports}
    return {
        "buyer_reports": len(reports),
        "unnamed_reports": sum(1 for post in reports if post["visibility"] != "named"),
        "report_organization": organizations.pop() if len(organizations) == 1 else None,
    }


def _names_no_post(kind, data):
    """An event evidence brought that does not list the posts it brought."""
    by = data.get("by")
    return (
        kind == "post_added"
        or (kind in ("created", "reopened") and by == "pipeline")
        or (kind == "severity_changed" and by == "report")
    )


def record_reports(apps, schema_editor):
    IncidentEvent = apps.get_model("incidents", "IncidentEvent")
    Post = apps.get_model("incidents", "Post")
    brought_by_evidence = IncidentEvent.objects.filter(
        kind__in=["post_added", "created", "reopened", "severity_changed"]
    ).only("id", "kind", "data")
    changed = []
    for event in brought_by_evidence.iterator(chunk_size=1000):
        data = dict(event.data or {})
        if "buyer_reports" in data:
            continue
        if event.kind == "post_added" and isinstance(data.get("post_ids"), list):
            posts = Post.objects.filter(pk__in=data["post_ids"]).values(
                "source", "organization_id", "visibility"
            )
            data.update(_brought(list(posts)))
        elif _names_no_post(event.kind, data):
            data.update(UNKNOWN)
        else:
            continue
        event.data = data
        changed.append(event)
        if len(changed) >= 1000:
            IncidentEvent.objects.bulk_update(changed, ["data"])
            changed = []
    IncidentEvent.objects.bulk_update(changed, ["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0006_counters_by_visibility"),
    ]

    operations = [
        migrations.RunPython(record_reports, migrations.RunPython.noop),
    ]
