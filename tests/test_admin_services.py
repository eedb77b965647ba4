"""The operator's admin changes domain rows only through the services: an operator's change writes
its event, recounts, reprocesses and keeps every invariant, exactly as the same change made in the
product would."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents import services
from incidents.inputs import ANSWER_MAX
from incidents.models import SLA_RESOLVE, Incident, IncidentEvent, Post, Response, Severity
from incidents.services.processing import incidents_recount
from suppliers.models import Membership, SupplierAlias, User, VendorCode
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    ResponseFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db


def admin_url(obj, view: str = "change") -> str:
    meta = obj._meta
    args = [obj.pk] if view != "changelist" else []
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _field_values(form, prefix: str = "") -> dict:
    data = {}
    for name in form.fields:
        key = f"{prefix}{name}"
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, datetime):
            data[f"{key}_0"] = value.date().isoformat()
            data[f"{key}_1"] = value.time().isoformat()
        elif isinstance(value, date | time):
            data[key] = value.isoformat()
        else:
            data[key] = value
    return data


def post_change_form(client, obj, **changes):
    """Send the admin's change form of `obj` as the page shows it, with `changes` typed in."""
    url = admin_url(obj)
    page = client.get(url)
    assert page.status_code == 200
    data = _field_values(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_field_values(formset.management_form, f"{formset.prefix}-"))
        for form in formset.forms:
            data.update(_field_values(form, f"{form.prefix}-"))
    data.update(changes)
    data["_save"] = "Save"
    return client.post(url, data)


def run_action(client, model_obj, action: str, **extra):
    url = admin_url(model_obj, "changelist")
    data = {"action": action, "_selected_action": [model_obj.pk], **extra}
    return client.post(url, data, follow=True)


@pytest.fixture
def incident(initech, acme, alice, globex, bob) -> Incident:
    incident = IncidentFactory(supplier=initech, title="Cracked housings")
    incident.start_sla(incident.created_at)
    incident.save()
    for organization, author in ((acme, alice), (globex, bob)):
        post = BuyerPostFactory(
            organization=organization,
            author=author,
            supplier=initech,
            visibility=Post.Visibility.ANONYMOUS,
            status=Post.Status.PROCESSED,
            is_complaint=True,
        )
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


# --- incidents -----------------------------------------------------------------------------------


def test_the_change_form_does_not_write_around_the_lifecycle(op, incident):
    response = post_change_form(op, incident, status="closed", severity="4")
    assert response.status_code == 302  # saved, with the lifecycle's fields left as they were
    incident.refresh_from_db()
    assert incident.status == Incident.Status.NEW
    assert incident.severity == 2
    assert not incident.events.exists()


def test_an_operator_resolves_through_an_action_that_writes_the_event(op, operator, incident):
    response = run_action(op, incident, "resolve")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    event = incident.events.get()
    assert (event.kind, event.actor, event.data["to"]) == ("status_changed", operator, "resolved")


def test_an_action_the_state_machine_refuses_is_reported_and_changes_nothing(op, incident):
    response = run_action(op, incident, "close")
    assert "Resolve the incident before closing it" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.NEW
    assert not incident.events.exists()


def test_an_operator_raises_the_severity_with_its_sla_and_event(op, operator, incident):
    response = run_action(op, incident, "set_severity", apply="1", severity="4")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.severity == Severity.CRITICAL
    assert (
        incident.resolve_due_at
        == Incident.sla_clock_start(incident.created_at) + SLA_RESOLVE[Severity.CRITICAL]
    )
    event = incident.events.get()
    assert (event.kind, event.actor) == (IncidentEvent.Kind.SEVERITY_CHANGED, operator)


def _step_form(incident, text):
    """The change: the text of the incident's one recorded discipline (its inline's first form)."""
    return {"eight_d_steps-0-text": text}


def test_an_8d_disciplines_words_corrected_in_the_admin_are_on_the_timeline(
    op, operator, incident, carol
):
    services.eightd_update(incident=incident, discipline="d4", actor=carol, text="Worn mold")
    post_change_form(op, incident, **_step_form(incident, "Worn mould"))
    assert incident.eight_d_steps.get().text == "Worn mould"
    event = incident.events.filter(actor=operator).get()
    assert (event.kind, event.data["discipline"], event.data["changed"]) == (
        IncidentEvent.Kind.EIGHT_D,
        "d4",
        ["text"],
    )


def test_an_8d_text_too_long_is_refused_beside_its_field(op, incident, carol):
    services.eightd_update(incident=incident, discipline="d4", actor=carol, text="Worn mould")
    response = post_change_form(op, incident, **_step_form(incident, "x" * (ANSWER_MAX + 1)))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["text"]
    assert incident.eight_d_steps.get().text == "Worn mould"
    assert incident.events.count() == 1


def test_staff_who_are_not_operators_read_incidents_and_change_nothing(client, incident):
    """The lifecycle services let operators act; the admin offers other staff nothing more."""
    staff = User.objects.create_user(email="staff@supplierwatch.test", password="x", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(staff)
    page = client.get(admin_url(incident))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(admin_url(incident), {"title": "Renamed"}).status_code == 403
    assert client.get(admin_url(incident, "changelist")).context["action_form"] is None
    incident.refresh_from_db()
    assert incident.title != "Renamed"


# --- responses -----------------------------------------------------------------------------------


def test_an_answer_edited_in_the_admin_says_so_on_the_timeline(op, operator, incident, carol):
    answer = ResponseFactory(incident=incident, author=carol, body="We replaced the tool.")
    response = post_change_form(op, answer, body="  We replaced the mould.  ", visibility="public")
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.body == "We replaced the mould."
    event = incident.events.get()
    assert event.kind == IncidentEvent.Kind.RESPONSE_EDITED
    assert event.actor == operator
    assert event.data == {"response_id": answer.pk, "visibility": "public"}


def test_an_answer_too_long_is_refused_beside_its_field(op, incident, carol):
    answer = ResponseFactory(incident=incident, author=carol, body="We replaced the tool.")
    response = post_change_form(op, answer, body="y" * (ANSWER_MAX + 1))
    assert response.status_code == 200
    assert "body" in response.context["adminform"].form.errors
    answer.refresh_from_db()
    assert answer.body == "We replaced the tool."


def test_an_answer_cannot_be_made_private_to_an_anonymous_reporter_in_the_admin(
    op, incident, carol, acme
):
    answer = ResponseFactory(incident=incident, author=carol)
    post_change_form(op, answer, visibility="organization", organization=str(acme.pk))
    answer.refresh_from_db()
    assert answer.visibility == Response.Visibility.PUBLIC
    assert answer.organization is None


# --- posts ---------------------------------------------------------------------------------------


def test_a_report_made_private_in_the_admin_stops_being_counted(op, incident):
    post = Post.objects.filter(source="buyer").order_by("pk").first()
    assert incident.post_count == 2
    response = post_change_form(op, post, visibility="private")
    assert response.status_code == 302
    incident.refresh_from_db()
    post.refresh_from_db()
    assert post.visibility == Post.Visibility.PRIVATE
    assert incident.post_count == 1
    assert incident.organization_count == 1


# --- memberships ---------------------------------------------------------------------------------


def test_the_last_admin_of_a_supplier_cannot_be_demoted_in_the_admin(op, initech):
    only_admin = SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    response = post_change_form(op, only_admin, role="viewer")
    assert response.status_code == 200
    assert "only admin" in response.content.decode()
    only_admin.refresh_from_db()
    assert only_admin.role == Membership.Role.ADMIN


def test_a_second_admin_can_be_demoted_in_the_admin(op, initech):
    first = SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    response = post_change_form(op, first, role="viewer")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.role == Membership.Role.VIEWER


def test_the_last_admin_of_a_supplier_cannot_be_deleted_in_the_admin(op, initech):
    only_admin = SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    op.post(admin_url(only_admin, "delete"), {"post": "yes"}, follow=True)
    assert Membership.objects.filter(pk=only_admin.pk).exists()


def test_an_operator_assigns_to_an_active_colleague_only(op, operator, incident, carol, dave):
    page = run_action(op, incident, "assign")
    offered = set(page.context["form"].fields["assignee"].queryset)
    assert carol in offered and dave not in offered
    run_action(op, incident, "assign", apply="1", assignee=str(dave.pk))
    incident.refresh_from_db()
    assert incident.assignee is None  # not a colleague at the incident's supplier
    run_action(op, incident, "assign", apply="1", assignee=str(carol.pk))
    incident.refresh_from_db()
    assert incident.assignee == carol
    event = incident.events.get()
    assert (event.kind, event.actor) == (IncidentEvent.Kind.ASSIGNED, operator)


def test_incidents_of_two_suppliers_are_not_assigned_at_once(op, incident, umbrella):
    other = IncidentFactory(supplier=umbrella)
    response = op.post(
        admin_url(incident, "changelist"),
        {"action": "assign", "_selected_action": [incident.pk, other.pk]},
        follow=True,
    )
    assert "Select incidents of one supplier." in response.content.decode()


# --- suppliers, aliases and vendor codes ----------------------------------------------------------


def test_an_alias_added_in_the_admin_follows_the_alias_rule(op, initech):
    url = reverse("admin:suppliers_supplieralias_add")
    values = {"supplier": initech.pk, "kind": "handle"}
    refused = op.post(url, {**values, "text": "  Initech   Parts "})
    assert refused.status_code == 200
    assert "text" in refused.context["adminform"].form.errors
    assert op.post(url, {**values, "text": " initechparts "}).status_code == 302
    assert (
        SupplierAlias.objects.filter(supplier=initech, kind="handle").get().text == "@initechparts"
    )


def test_an_operator_approves_and_rejects_buyers_proposals_in_the_admin(
    op, operator, globex, initech
):
    proposals = [
        SupplierAlias.objects.create(
            supplier=initech, kind="hashtag", text=text, state="proposed", proposed_by=globex
        )
        for text in ("#InitechRecall", "#InitechLate")
    ]
    run_action(op, proposals[0], "approve")
    run_action(op, proposals[1], "reject")
    states = dict(initech.aliases.values_list("text", "state"))
    assert states == {"#InitechRecall": "active", "#InitechLate": "rejected"}
    assert SupplierAlias.objects.get(text="#InitechRecall").reviewed_by == operator


def test_an_approval_the_alias_rule_refuses_is_reported_and_changes_nothing(op, initech):
    legacy = SupplierAlias.objects.create(
        supplier=initech, kind="hashtag", text="#fail", state="proposed"
    )
    response = run_action(op, legacy, "approve")
    assert "everyday word" in response.content.decode()
    legacy.refresh_from_db()
    assert legacy.state == "proposed"


def test_an_alias_added_in_the_admin_may_not_name_another_supplier(op, initech, umbrella):
    response = op.post(
        reverse("admin:suppliers_supplieralias_add"),
        {"supplier": initech.pk, "kind": "alias", "text": "Umbrella Packaging"},
    )
    assert response.status_code == 200
    assert "already names Umbrella Packaging" in str(response.context["adminform"].form.errors)
    assert not initech.aliases.exists()


def test_an_alias_kept_as_it_is_does_not_stop_its_supplier_being_edited(op, initech):
    """An alias from before today's rule is judged when it is changed, not on every save."""
    SupplierAlias.objects.create(supplier=initech, kind="alias", text="IC")
    SupplierAlias.objects.create(supplier=initech, kind="alias", text="X")
    response = post_change_form(op, initech, description="Castings and housings")
    assert response.status_code == 302
    initech.refresh_from_db()
    assert initech.description == "Castings and housings"


def test_staff_who_are_not_operators_change_no_alias(client, globex, initech):
    """What everyone's matching sees is changed by operators alone."""
    proposal = SupplierAlias.objects.create(
        supplier=initech,
        kind="hashtag",
        text="#InitechRecall",
        state="proposed",
        proposed_by=globex,
    )
    staff = User.objects.create_user(email="staff@supplierwatch.test", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="supplieralias"))
    client.force_login(staff)
    assert client.get(admin_url(proposal, "changelist")).context["action_form"] is None
    assert client.get(reverse("admin:suppliers_supplieralias_add")).status_code == 403
    assert client.post(admin_url(proposal), {"text": "#InitechLate"}).status_code == 403
    proposal.refresh_from_db()
    assert (proposal.text, proposal.state) == ("#InitechRecall", "proposed")


def test_a_supplier_edited_in_the_admin_follows_the_record_rules(op, initech):
    response = post_change_form(op, initech, name="  Initech    Components ", website="nota url")
    assert response.status_code == 200
    assert "website" in response.context["adminform"].form.errors
    post_change_form(op, initech, name="  Initech    Components ")
    initech.refresh_from_db()
    assert initech.name == "Initech Components"


def test_a_vendor_code_added_in_the_admin_has_its_spaces_collapsed(op, acme, initech):
    response = op.post(
        reverse("admin:suppliers_vendorcode_add"),
        {"organization": acme.pk, "supplier": initech.pk, "code": "  V 100\t42 "},
    )
    assert response.status_code == 302
    assert VendorCode.objects.get(organization=acme).code == "V 100 42"
