"""Who can be given an incident, and what becomes of a colleague's incidents when they leave.

carol is an Initech responder, ivy Initech's admin, dave Umbrella's responder, alice a buyer.
`viewer` is an Initech colleague who only reads.
"""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Incident, IncidentEvent, Severity
from incidents.presenters.events import event_data, event_sentence
from suppliers.models import Membership, User
from suppliers.services import membership_remove, membership_set_role
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of
from tests.factories import IncidentFactory, SupplierMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(initech) -> Incident:
    return IncidentFactory(supplier=initech, severity=Severity.MEDIUM, post_count=1)


@pytest.fixture
def viewer(initech) -> User:
    return SupplierMembershipFactory(
        supplier=initech, user__first_name="Vera", role=Membership.Role.VIEWER
    ).user


def assigned_events(incident: Incident) -> list[IncidentEvent]:
    return list(incident.events.filter(kind=IncidentEvent.Kind.ASSIGNED).order_by("id"))


# --- Only colleagues who may act are assigned ------------------------------------------------------


def test_responders_and_admins_are_assignable_and_viewers_are_not(initech, carol, ivy, viewer):
    assert set(User.objects.assignable_at(initech.pk)) == {carol, ivy}
    assert viewer in User.objects.colleagues_of(initech.pk)


def test_a_viewer_cannot_be_assigned_and_is_told_why(incident, carol, viewer):
    with pytest.raises(ApplicationError) as caught:
        services.incident_assign(incident=incident, actor=carol, assignee=viewer)
    assert caught.value.field == "assignee"
    assert caught.value.message == services.MAY_NOT_ACT
    incident.refresh_from_db()
    assert incident.assignee is None
    assert assigned_events(incident) == []


def test_someone_of_another_supplier_is_refused_as_no_colleague(incident, carol, dave):
    with pytest.raises(ApplicationError) as caught:
        services.incident_assign(incident=incident, actor=carol, assignee=dave)
    assert (caught.value.field, caught.value.message) == ("assignee", services.NOT_A_COLLEAGUE)


def test_an_admin_can_be_assigned(incident, carol, ivy):
    services.incident_assign(incident=incident, actor=carol, assignee=ivy)
    incident.refresh_from_db()
    assert incident.assignee == ivy


def test_the_portal_offers_no_viewer_and_refuses_one_naming_the_field(
    client, incident, carol, ivy, viewer
):
    client.force_login(carol)
    page = client.get(f"/portal/incidents/{incident.pk}/")
    offered = set(page.context["forms"]["assign"].fields["assignee"].queryset)
    assert offered == {carol, ivy}
    response = client.post(f"/portal/incidents/{incident.pk}/assign/", {"assignee": viewer.pk})
    assert response.status_code == 400
    errors = response.context["forms"]["assign"].errors["assignee"]
    assert "viewers only read" in errors[0]
    incident.refresh_from_db()
    assert incident.assignee is None


def test_the_api_refuses_a_viewer_with_a_422_naming_assignee(client, incident, carol, viewer):
    client.force_login(carol)
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/assign/",
        {"assignee": viewer.email},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"assignee": [services.MAY_NOT_ACT]}


def test_the_admin_offers_no_viewer(op, incident, carol, viewer):
    page = op.post(
        "/admin/incidents/incident/",
        {"action": "assign", "_selected_action": [incident.pk]},
        follow=True,
    )
    offered = set(page.context["form"].fields["assignee"].queryset)
    assert carol in offered and viewer not in offered


# --- A colleague who leaves keeps no incidents -------------------------------------------------


def test_a_removed_colleague_s_open_incidents_go_back_to_the_team(incident, initech, carol, ivy):
    other = IncidentFactory(supplier=initech, post_count=1)
    done = IncidentFactory(supplier=initech, post_count=1, status=Incident.Status.RESOLVED)
    for each in (incident, other):
        services.incident_assign(incident=each, actor=ivy, assignee=carol)
    Incident.objects.filter(pk=done.pk).update(assignee=carol)

    membership_remove(membership=carol.membership, actor=ivy)

    for each in (incident, other):
        each.refresh_from_db()
        assert each.assignee is None
        back = assigned_events(each)[-1]
        assert back.actor == ivy
        assert back.data == {
            "assignee_id": None,
            "assignee": None,
            "reason": "left",
            "previous": carol.display_name,
        }
    done.refresh_from_db()
    assert done.assignee == carol  # a resolved incident is history, not work


def test_a_colleague_made_viewer_gives_their_incidents_back_to_the_team(incident, carol, ivy):
    services.incident_assign(incident=incident, actor=ivy, assignee=carol)
    membership_set_role(membership=carol.membership, role=Membership.Role.VIEWER, actor=ivy)
    incident.refresh_from_db()
    assert incident.assignee is None
    assert assigned_events(incident)[-1].data["reason"] == "viewer"


def test_a_responder_made_admin_keeps_their_incidents(incident, carol, ivy):
    services.incident_assign(incident=incident, actor=ivy, assignee=carol)
    membership_set_role(membership=carol.membership, role=Membership.Role.ADMIN, actor=ivy)
    incident.refresh_from_db()
    assert incident.assignee == carol
    assert len(assigned_events(incident)) == 1


def test_the_team_page_removal_gives_incidents_back_in_the_same_request(
    client, incident, carol, ivy
):
    services.incident_assign(incident=incident, actor=ivy, assignee=carol)
    client.force_login(ivy)
    response = client.post(f"/portal/team/{carol.membership.pk}/remove/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee is None


def test_a_refused_removal_gives_nothing_back(incident, carol, ivy):
    """The return to the team is part of the removal's transaction: no removal, no return."""
    services.incident_assign(incident=incident, actor=ivy, assignee=carol)
    with pytest.raises(ApplicationError):
        membership_remove(membership=carol.membership, actor=carol)  # not an admin
    incident.refresh_from_db()
    assert incident.assignee == carol


def test_the_timeline_says_why_to_the_supplier_and_nothing_more_to_buyers(
    incident, carol, ivy, alice
):
    services.incident_assign(incident=incident, actor=ivy, assignee=carol)
    membership_remove(membership=carol.membership, actor=ivy)
    event = assigned_events(incident)[-1]
    supplier, buyer = viewer_of(ivy), viewer_of(alice)
    assert event_sentence(event, supplier, "Initech") == (
        "Back with the team: Carol Carter left the team."
    )
    assert event_data(event, supplier) == {"assignee": None, "reason": "left"}
    assert event_sentence(event, buyer, "Initech") == "No longer assigned to anybody."
    assert event_data(event, buyer) == {}
