"""The operator's Django admin: every registered model's pages open; nobody else gets in."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.models import ClassifierModel, Dispute, Post, SlaPolicy, WorkCalendar
from incidents.services import monitor_save, scorecards_compute_current
from integrations.models import Feed, WebhookDelivery, WebhookSubscription
from integrations.services import api_key_issue, api_key_revoke
from notifications.models import DigestSchedule, Notification, NotificationPreference
from suppliers.models import Invitation, Membership, User
from supplierwatch.api.models import IdempotencyRecord
from tests.factories import (
    BuyerPostFactory,
    CategoryFactory,
    IncidentEventFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
    RoutingRuleFactory,
    SupplierAliasFactory,
    VendorCodeFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
MODEL_IDS = [model._meta.label for model in REGISTERED]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(alice, bob, carol, dave, operator, acme, globex, initech, umbrella):
    """At least one row of every registered model, with related rows for every list filter."""
    Group.objects.create(name="Quality team")
    CategoryFactory(slug="packaging", name="Packaging")
    SupplierAliasFactory(supplier=initech, kind="handle", text="@initech", is_ambiguous=False)
    SupplierAliasFactory(supplier=umbrella, kind="alias", text="Umbrella", is_ambiguous=True)
    VendorCodeFactory(organization=acme, supplier=initech, code="V-100")
    VendorCodeFactory(organization=globex, supplier=umbrella, code="V-200")
    incident = IncidentFactory(supplier=initech, post_count=2, organization_count=1)
    IncidentFactory(supplier=umbrella, status="resolved", severity=4)
    report = BuyerPostFactory(
        organization=acme, author=alice, supplier=initech, visibility=Post.Visibility.NAMED
    )
    tweet = PublicPostFactory(is_complaint=True)
    PostMatchFactory(post=report, supplier=initech, incident=incident)
    PostMatchFactory(post=tweet, supplier=initech, incident=incident)
    PostMatchFactory(post=tweet, supplier=umbrella, is_primary=False)
    Dispute.objects.create(
        post=tweet, incident=incident, supplier=initech, reason="not_about_us", opened_by=carol
    )
    ResponseFactory(incident=incident, author=carol)
    ResponseFactory(incident=incident, author=carol, private=True, organization=acme)
    IncidentEventFactory(incident=incident, actor=carol)
    IncidentEventFactory(incident=incident, kind="response", actor=carol)
    ClassifierModel.objects.create(
        version="learned-test", algorithm="tf-idf + linear", metrics={"complaint_f1": 0.9}
    )
    api_key_issue(name="ERP", organization=acme, can_write=True)
    api_key_revoke(api_key=api_key_issue(name="QMS", supplier=initech).api_key)
    subscription = WebhookSubscription.objects.create(
        organization=acme, url="https://erp.example/hook", secret="s", events=["incident.created"]
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        incident_event=incident.events.first(),
        event_type="incident.created",
        payload={},
    )
    IdempotencyRecord.objects.create(user=alice, key="k", request_hash="h", response_status=201)
    Invitation.objects.create(
        supplier=initech, email="new@initech.test", role="viewer", invited_by=carol
    )
    RoutingRuleFactory(supplier=initech, name="Defects", severity=3, assignees=[carol])
    WorkCalendar.objects.create(supplier=initech, time_zone="Europe/Berlin", country="DE")
    SlaPolicy.objects.create(
        supplier=initech, severity=4, first_answer_hours=2, resolution_hours=48
    )
    Feed.objects.create(
        kind="webhook", name="initech-scraper", supplier=initech, inbound_token="t", secret="s"
    )
    AccessAttempt.objects.create(
        username="alice@acme.test", ip_address="203.0.113.7", failures_since_start=5
    )
    Notification.objects.create(
        recipient=carol,
        event=incident.events.first(),
        incident=incident,
        kind="new_incident",
        title="New incident",
        text="Incident opened from new evidence.",
        url=f"/portal/incidents/{incident.pk}/",
        shown_at=incident.created_at,
        email_status=Notification.EmailStatus.FAILED,
        email_error="SMTPServerDisconnected",
    )
    NotificationPreference.objects.create(user=carol, kind="spike", delivery="never")
    DigestSchedule.objects.create(user=carol, hour=8, time_zone="Europe/Berlin")
    monitor_save(actor=alice, name="Cartons", query='"crushed cartons" OR dented')
    scorecards_compute_current()


def test_the_operators_console_is_named_after_the_product(admin_client_op):
    page = admin_client_op.get(reverse("admin:index")).content.decode()
    assert "supplierwatch operations" in page
    assert "Django administration" not in page


def test_every_model_of_the_product_is_registered():
    labels = set(MODEL_IDS)
    for label in (
        "suppliers.User",
        "suppliers.Organization",
        "suppliers.Supplier",
        "suppliers.SupplierAlias",
        "suppliers.VendorCode",
        "suppliers.Membership",
        "incidents.Category",
        "incidents.Post",
        "incidents.PostMatch",
        "incidents.Incident",
        "incidents.Response",
        "incidents.IncidentEvent",
        "incidents.Dispute",
    ):
        assert label in labels


@pytest.mark.parametrize("model", REGISTERED, ids=MODEL_IDS)
def test_operator_opens_changelist_with_search_and_filters(admin_client_op, world, model):
    url = admin_url(model, "changelist")
    response = admin_client_op.get(url)
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count >= 1, "the world fixture should give every model a row"

    if admin.site._registry[model].search_fields:
        assert admin_client_op.get(url, {"q": "x"}).status_code == 200

    for spec in changelist.filter_specs:
        choices = [choice for choice in spec.choices(changelist) if not choice["selected"]]
        assert choices, f"{spec.title}: no option to pick"
        response = admin_client_op.get(url + choices[0]["query_string"])
        # An invalid lookup would redirect to ?e=1.
        assert response.status_code == 200, (spec.title, choices[0]["query_string"])


@pytest.mark.parametrize("model", REGISTERED, ids=MODEL_IDS)
def test_operator_opens_add_page(admin_client_op, world, model, rf, operator):
    request = rf.get("/")
    request.user = operator
    if not admin.site._registry[model].has_add_permission(request):
        # Rows the product writes itself (trained models, deliveries): no add page, by design.
        assert admin_client_op.get(admin_url(model, "add")).status_code == 403
        return
    assert admin_client_op.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=MODEL_IDS)
def test_operator_opens_change_page(admin_client_op, world, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    assert admin_client_op.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_operator_adds_a_buyer_with_membership(admin_client_op, acme):
    response = admin_client_op.post(
        admin_url(User, "add"),
        {
            "email": "erin@acme.test",
            "password1": "a-Long-enough-passphrase-9",
            "password2": "a-Long-enough-passphrase-9",
            "membership-TOTAL_FORMS": "1",
            "membership-INITIAL_FORMS": "0",
            "membership-MIN_NUM_FORMS": "0",
            "membership-MAX_NUM_FORMS": "1",
            "membership-0-organization": str(acme.pk),
            "membership-0-role": "member",
        },
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    erin = User.objects.get(email="erin@acme.test")
    assert erin.check_password("a-Long-enough-passphrase-9")
    assert Membership.objects.get(user=erin).organization == acme


@pytest.fixture
def admin_client_op(client, operator):
    client.force_login(operator)
    return client


@pytest.mark.parametrize("persona", ["alice", "carol", "newcomer"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/incidents/post/", "/admin/suppliers/user/"])
def test_non_staff_user_is_sent_to_admin_login(client, request, persona, path):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_anonymous_visitor_is_sent_to_admin_login(client):
    response = client.get("/admin/incidents/incident/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_operator_cannot_add_a_second_account_for_an_address_in_other_case(admin_client_op, alice):
    admin_client_op.post(
        admin_url(User, "add"),
        {
            "email": "Alice@Acme.test",
            "password1": "a-Long-enough-passphrase-9",
            "password2": "a-Long-enough-passphrase-9",
            "membership-TOTAL_FORMS": "0",
            "membership-INITIAL_FORMS": "0",
            "membership-MIN_NUM_FORMS": "0",
            "membership-MAX_NUM_FORMS": "1",
        },
    )
    assert User.objects.filter(email__iexact="alice@acme.test").count() == 1
