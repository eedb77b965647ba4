"""The supplier team page: an admin sets colleagues' roles and removes them (invitations:
test_invitations.py).

ivy (tests/suppliers/conftest.py) is Initech's admin; carol is an Initech responder; dave is
Umbrella's responder; alice is a buyer at Acme.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from suppliers.models import Invitation, Membership, User
from suppliers.services import (
    is_only_admin,
    membership_remove,
    membership_set_role,
)
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = "/portal/team/"
INVITE = "/portal/team/invite/"


# --- Who gets in ---------------------------------------------------------------------------------


def test_admin_sees_colleagues(admin_client, ivy, carol, dave):
    response = admin_client.get(TEAM)
    assert response.status_code == 200
    html = response.content.decode()
    assert "ivy@initech.test" in html and "carol@initech.test" in html
    assert "dave@umbrella.test" not in html


@pytest.mark.parametrize("role", [Membership.Role.RESPONDER, Membership.Role.VIEWER])
def test_non_admin_staff_get_403(client, initech, role):
    staff = SupplierMembershipFactory(supplier=initech, role=role).user
    client.force_login(staff)
    assert client.get(TEAM).status_code == 403
    assert client.post(INVITE, {"email": "x@initech.test", "role": "admin"}).status_code == 403
    assert not User.objects.filter(email="x@initech.test").exists()


def test_buyer_gets_403(client, alice):
    client.force_login(alice)
    assert client.get(TEAM).status_code == 403


def test_visitor_is_sent_to_login(client):
    response = client.get(TEAM)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_portal_shows_the_team_link_to_admins_only(client, ivy, carol):
    client.force_login(ivy)
    assert 'href="/portal/team/"' in client.get("/portal/").content.decode()
    client.force_login(carol)
    assert 'href="/portal/team/"' not in client.get("/portal/").content.decode()


# --- Roles ---------------------------------------------------------------------------------------


def test_admin_changes_a_colleagues_role(admin_client, carol):
    membership = carol.membership
    response = admin_client.post(
        f"{TEAM}{membership.pk}/role/", {f"m{membership.pk}-role": "viewer"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Membership.Role.VIEWER


def test_the_last_admin_cannot_be_demoted(ivy):
    with pytest.raises(ApplicationError, match="only admin"):
        membership_set_role(membership=ivy.membership, role="responder", actor=ivy)
    ivy.membership.refresh_from_db()
    assert ivy.membership.role == Membership.Role.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(ivy, initech):
    other = SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    membership_set_role(membership=ivy.membership, role="responder", actor=ivy)
    ivy.membership.refresh_from_db()
    assert ivy.membership.role == Membership.Role.RESPONDER
    with pytest.raises(ApplicationError, match="only admin"):
        membership_set_role(membership=other, role="viewer", actor=other.user)


def test_role_must_be_a_supplier_role(admin_client, carol):
    membership = carol.membership
    response = admin_client.post(
        f"{TEAM}{membership.pk}/role/", {f"m{membership.pk}-role": "member"}
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.role == Membership.Role.RESPONDER


def test_another_suppliers_member_is_a_404(admin_client, dave):
    membership = dave.membership
    role = admin_client.post(f"{TEAM}{membership.pk}/role/", {f"m{membership.pk}-role": "viewer"})
    remove = admin_client.post(f"{TEAM}{membership.pk}/remove/")
    assert role.status_code == remove.status_code == 404
    membership.refresh_from_db()
    assert membership.role == Membership.Role.RESPONDER


# --- Removing ------------------------------------------------------------------------------------


def test_admin_removes_a_colleague(admin_client, carol):
    response = admin_client.post(f"{TEAM}{carol.membership.pk}/remove/")
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.party is None
    assert carol.is_active is False


def test_removed_colleague_is_logged_out(client, ivy, carol):
    client.force_login(carol)
    assert client.get("/portal/").status_code == 200
    membership_remove(membership=carol.membership, actor=ivy)
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_admin_cannot_remove_themselves(admin_client, ivy):
    response = admin_client.post(f"{TEAM}{ivy.membership.pk}/remove/")
    assert response.status_code == 400
    assert "cannot remove yourself" in response.content.decode()
    ivy.refresh_from_db()
    assert ivy.party is not None and ivy.is_active


def test_the_last_admin_cannot_be_removed_even_by_an_operator(operator, initech):
    only_admin = SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    with pytest.raises(ApplicationError, match="only admin"):
        membership_remove(membership=only_admin, actor=operator)
    assert Membership.objects.filter(pk=only_admin.pk).exists()
    assert is_only_admin(only_admin)
    SupplierMembershipFactory(supplier=initech, role=Membership.Role.ADMIN)
    assert not is_only_admin(only_admin)


# --- Fixed query count ---------------------------------------------------------------------------


def test_team_page_costs_the_same_queries_for_one_or_many_colleagues(
    admin_client, initech, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(TEAM).status_code == 200
    for n in range(25):
        SupplierMembershipFactory(supplier=initech, user=UserFactory(password="!unusable"))
        Invitation.objects.create(supplier=initech, email=f"invited{n}@initech.test", role="viewer")
    with django_assert_max_num_queries(len(one)):
        assert admin_client.get(TEAM).status_code == 200


def test_an_api_key_is_neither_a_colleague_on_the_team_page_nor_assignable(
    admin_client, initech, carol
):
    from incidents import services
    from integrations.services import api_key_issue
    from tests.factories import IncidentFactory

    issued = api_key_issue(name="QMS sync", supplier=initech, can_write=True)
    page = admin_client.get("/portal/team/").content.decode()
    assert "QMS sync" not in page
    assert issued.api_key.user.email not in page
    incident = IncidentFactory(supplier=initech, post_count=1)
    with pytest.raises(ApplicationError) as refused:
        services.incident_assign(incident=incident, actor=carol, assignee=issued.api_key.user)
    assert refused.value.field == "assignee"
