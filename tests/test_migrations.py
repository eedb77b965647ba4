"""Migrations that move data, run back and forth on the test database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supplierwatch.api.models import IdempotencyRecord


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    ContentType.objects.clear_cache()


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Every app back at its latest migration: moving one app back and forth also moves back the
    migrations of other apps that depend on it, and forward again only those its target needs."""
    yield
    _migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_the_idempotency_records_permissions_move_with_it_to_the_api_app():
    """Staff given a permission on idempotency records while they lived in `integrations` keep it
    once they live in `api`."""
    moved = ContentType.objects.get_for_model(IdempotencyRecord)
    permissions = set(Permission.objects.filter(content_type=moved).values_list("pk", flat=True))
    assert permissions
    try:
        _migrate(("api", "0002_idempotencyrecord_table"))
        old = ContentType.objects.get(pk=moved.pk)
        assert (old.app_label, old.model) == ("integrations", "idempotencyrecord")
    finally:
        _migrate(("api", "0003_idempotencyrecord_content_type"))
    content_type = ContentType.objects.get(pk=moved.pk)
    assert (content_type.app_label, content_type.model) == ("api", "idempotencyrecord")
    assert not ContentType.objects.filter(app_label="integrations", model="idempotencyrecord")
    assert set(content_type.permission_set.values_list("pk", flat=True)) == permissions


@pytest.mark.django_db(transaction=True)
def test_aliases_stored_before_review_stay_active_unless_todays_rule_refuses_them():
    """Nobody recorded who added an alias, so those accepted before stay active; those that
    would re-point everyone's matching today go to an operator's review."""
    before = ("suppliers", "0004_invitation")
    _migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        Supplier = apps.get_model("suppliers", "Supplier")
        Alias = apps.get_model("suppliers", "SupplierAlias")
        initech = Supplier.objects.create(name="Initech Components", slug="initech")
        Supplier.objects.create(name="Umbrella Packaging", slug="umbrella")
        for kind, text in [
            ("name", "Initech Components"),
            ("handle", "@InitechParts"),
            ("alias", "United"),
            ("name", "3M"),
            ("hashtag", "#fail"),
            ("alias", "the"),
            ("alias", "Umbrella Packaging"),
        ]:
            Alias.objects.create(supplier=initech, kind=kind, text=text)
    finally:
        _migrate(("suppliers", "0006_aliases_refused_today_await_review"))
    from suppliers.models import SupplierAlias

    states = dict(SupplierAlias.objects.values_list("text", "state"))
    assert states == {
        "Initech Components": "active",
        "@InitechParts": "active",
        "United": "active",
        "3M": "active",
        "#fail": "proposed",
        "the": "proposed",
        "Umbrella Packaging": "proposed",
    }


@pytest.mark.django_db(transaction=True)
def test_receivers_answers_logged_before_are_cut_to_their_status_line(acme):
    """Delivery errors used to hold the start of the receiver's answer, shown through the API."""
    from integrations.models import WebhookDelivery, WebhookSubscription
    from tests.factories import IncidentEventFactory

    subscription = WebhookSubscription.objects.create(
        organization=acme,
        url="https://erp.example/hooks",
        secret="whsec_x",
        events=["incident.created"],
    )
    errors = {
        "HTTP 503: <html>internal admin page of 10.0.0.7</html>": "HTTP 503 Service Unavailable",
        "HTTP 302: moved": "HTTP 302 Found",
        "HTTP 599: odd": "HTTP 599",
        "ReadTimeout: timed out": "ReadTimeout: timed out",
        "refused: the host resolves to a private, loopback or reserved address": (
            "refused: the host resolves to a private, loopback or reserved address"
        ),
    }
    try:
        _migrate(("integrations", "0002_idempotencyrecord_moved_to_api"))
        for error in errors:
            WebhookDelivery.objects.create(
                subscription=subscription,
                incident_event=IncidentEventFactory(),
                event_type="incident.created",
                payload={},
                last_error=error,
            )
    finally:
        _migrate(("integrations", "0003_delivery_errors_as_status_lines"))
    assert set(WebhookDelivery.objects.values_list("last_error", flat=True)) == set(errors.values())


@pytest.mark.django_db(transaction=True)
def test_existing_incidents_get_their_sla_start_and_times_from_their_history(initech):
    """The clocks of an incident started at the whole hour after it opened, or after its last
    reopening; the times to first answer and to resolution count from there."""
    from datetime import UTC, datetime, timedelta

    before = ("incidents", "0013_sla_alerts_and_times")
    _migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        Old = apps.get_model("incidents", "Incident")
        Event = apps.get_model("incidents", "IncidentEvent")
        opened = datetime(2026, 11, 2, 8, 20, tzinfo=UTC)
        fields = {"supplier_id": initech.pk, "title": "Cracked", "severity": 3}
        answered = Old.objects.create(
            fingerprint="a",
            acknowledge_due_at=opened,
            acknowledged_at=datetime(2026, 11, 2, 11, 30, tzinfo=UTC),
            resolved_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
            status="resolved",
            **fields,
        )
        reopened = Old.objects.create(
            fingerprint="b", acknowledge_due_at=opened, status="reopened", **fields
        )
        Old.objects.filter(pk__in=[answered.pk, reopened.pk]).update(created_at=opened)
        event = Event.objects.create(incident=reopened, kind="reopened")
        Event.objects.filter(pk=event.pk).update(
            created_at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
        )
    finally:
        _migrate(("incidents", "0014_sla_times_of_existing_incidents"))
    after = MigrationExecutor(connection).loader.project_state(
        ("incidents", "0014_sla_times_of_existing_incidents")
    )
    answered, reopened = after.apps.get_model("incidents", "Incident").objects.order_by(
        "fingerprint"
    )
    assert answered.sla_started_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert answered.time_to_first_answer == timedelta(hours=2, minutes=30)
    assert answered.time_to_resolution == timedelta(days=1)
    assert reopened.sla_started_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    assert reopened.time_to_first_answer is None


@pytest.mark.django_db(transaction=True)
def test_the_default_sla_policy_is_todays_promise_and_running_clocks_get_their_warning_times(
    initech,
):
    """The promises fixed in code become the default policy, so no due time moves; an open
    incident's warnings come where the SLA check used to put them, a quarter of the promise
    before each due time."""
    from datetime import UTC, datetime, timedelta

    from incidents.models import SLA_ACKNOWLEDGE, SLA_RESOLVE, Incident, Severity, SlaPolicy

    before = ("incidents", "0016_sla_policies_calendars_and_pause")
    _migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        Old = apps.get_model("incidents", "Incident")
        apps.get_model("incidents", "SlaPolicy").objects.all().delete()
        start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        Old.objects.create(
            supplier_id=initech.pk,
            title="Cracked",
            fingerprint="a",
            severity=Severity.HIGH,
            status="new",
            sla_started_at=start,
            acknowledge_due_at=start + timedelta(hours=24),
            resolve_due_at=start + timedelta(days=7),
        )
    finally:
        _migrate(("incidents", "0017_default_sla_policy_and_warning_times"))
    _migrate_to_latest()  # the models below read the latest schema
    for severity in Severity:
        policy = SlaPolicy.objects.get(supplier=None, severity=severity)
        assert timedelta(hours=policy.first_answer_hours) == SLA_ACKNOWLEDGE[severity]
        assert timedelta(hours=policy.resolution_hours) == SLA_RESOLVE[severity]
        assert not policy.business_hours_only
    incident = Incident.objects.get(fingerprint="a")
    assert incident.acknowledge_warn_at == start + timedelta(hours=18)
    assert incident.resolve_warn_at == start + timedelta(days=7) - timedelta(hours=42)


@pytest.mark.django_db(transaction=True)
def test_the_five_free_text_fields_of_the_8d_move_into_their_disciplines_and_back(initech):
    """Containment to D3, root cause to D4, corrective action to D5, verification to D6 and
    preventive action to D7; nothing is made for an incident with no 8D, and the way back
    restores the fields."""
    from incidents.models import EightDStep

    before = ("incidents", "0023_eight_d_disciplines")
    _migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        Old = apps.get_model("incidents", "Incident")
        fields = {"supplier_id": initech.pk, "title": "Cracked", "severity": 3}
        answered = Old.objects.create(
            fingerprint="a",
            containment="Lot quarantined.",
            root_cause="Worn mould.",
            corrective_action="Mould re-machined.",
            preventive_action="Tool wear checked weekly.",
            verification="Next 5 lots inspected: no crack.",
            **fields,
        )
        partly = Old.objects.create(fingerprint="b", root_cause="Unknown yet.", **fields)
        Old.objects.create(fingerprint="c", **fields)
    finally:
        _migrate(("incidents", "0025_eight_d_former_fields_removed"))
    texts = {(step.incident_id, step.discipline): step.text for step in EightDStep.objects.all()}
    assert texts == {
        (answered.pk, "d3"): "Lot quarantined.",
        (answered.pk, "d4"): "Worn mould.",
        (answered.pk, "d5"): "Mould re-machined.",
        (answered.pk, "d6"): "Next 5 lots inspected: no crack.",
        (answered.pk, "d7"): "Tool wear checked weekly.",
        (partly.pk, "d4"): "Unknown yet.",
    }
    assert not EightDStep.objects.exclude(owner=None).exists()

    _migrate(before)
    apps = MigrationExecutor(connection).loader.project_state(before).apps
    Old = apps.get_model("incidents", "Incident")
    restored = Old.objects.get(pk=answered.pk)
    assert (restored.containment, restored.root_cause, restored.verification) == (
        "Lot quarantined.",
        "Worn mould.",
        "Next 5 lots inspected: no crack.",
    )
    assert Old.objects.get(pk=partly.pk).root_cause == "Unknown yet."


@pytest.mark.django_db(transaction=True)
def test_matches_stored_before_get_their_posts_time_visibility_and_organization(acme, initech):
    """An incident's pages and chart read them off the matches: every match stored before gets
    its post's, the report's organization and the public post's none."""
    from datetime import UTC, datetime

    before = ("incidents", "0036_complaint_days")
    _migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        OldPost = apps.get_model("incidents", "Post")
        OldMatch = apps.get_model("incidents", "PostMatch")
        reported = datetime(2026, 11, 2, 8, 20, 13, tzinfo=UTC)
        posted = datetime(2026, 11, 3, 17, 5, tzinfo=UTC)
        report = OldPost.objects.create(
            source="buyer",
            external_id="r1",
            text="Cracked housings",
            visibility="named",
            published_at=reported,
            organization_id=acme.pk,
            supplier_id=initech.pk,
        )
        tweet = OldPost.objects.create(
            source="twitter",
            external_id="t1",
            text="Initech again",
            visibility="public",
            published_at=posted,
        )
        for post in (report, tweet):
            OldMatch.objects.create(post=post, supplier_id=initech.pk, is_primary=True)
    finally:
        _migrate(("incidents", "0037_matches_copy_their_posts_time_and_visibility"))
    from incidents.models import PostMatch

    copies = {
        m.post.external_id: (m.post_published_at, m.post_visibility, m.post_organization_id)
        for m in PostMatch.objects.select_related("post")
    }
    assert copies == {"r1": (reported, "named", acme.pk), "t1": (posted, "public", None)}
