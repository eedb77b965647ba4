"""The supplier team page: an admin invites colleagues, sets their roles and removes them.

ivy is Initech's admin; carol (conftest) is an Initech responder; dave is Umbrella's responder;
alice is a buyer at Acme. Invitations are accounts without a password plus a Membership; the
e-mail's link is Django's password reset confirmation.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from suppliers.models import Membership, User
from suppliers.services import (
    is_only_admin,
    membership_invite,
    membership_remove,
    membership_set_role,
)
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = "/portal/team/"
INVITE = "/portal/team/invite/"
NEW_PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def ivy(initech) -> User:
    return SupplierMembershipFactory(
        user__email="ivy@initech.test",
        user__first_name="Ivy",
        user__last_name="Ingram",
        supplier=initech,
        role=Membership.Role.ADMIN,
    ).user


@pytest.fixture
def admin_client(client, ivy):
    client.force_login(ivy)
    return client


def invite(client, django_capture_on_commit_callbacks, **data):
    data = {"email": "new@initech.test", "first_name": "Nora", "last_name": "New", **data}
    data.setdefault("role", "responder")
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(INVITE, data)


def link_in(message) -> str:
    found = re.search(r"https?://\S+/accounts/reset/\S+/", message.body)
    assert found, message.body
    return found.group(0)


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


# --- Inviting ------------------------------------------------------------------------------------


def test_invite_creates_an_account_without_password_and_emails_a_link(
    admin_client, initech, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, role="viewer")
    assert response.status_code == 302
    user = User.objects.get(email="new@initech.test")
    assert not user.has_usable_password()
    assert user.get_full_name() == "Nora New"
    assert user.membership.supplier == initech
    assert user.membership.role == Membership.Role.VIEWER
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@initech.test"]
    assert "Initech Components" in message.subject
    assert "Ivy Ingram" in message.subject
    assert "viewer" in message.body


def test_invited_colleague_chooses_a_password_and_logs_in(
    client, ivy, django_capture_on_commit_callbacks
):
    client.force_login(ivy)
    invite(client, django_capture_on_commit_callbacks)
    client.logout()
    link = link_in(mail.outbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    client.post("/accounts/login/", {"username": "new@initech.test", "password": NEW_PASSWORD})
    assert client.get("/portal/").status_code == 200
    # The link is spent once used.
    client.logout()
    assert client.get("/" + path, follow=True).context["validlink"] is False


def test_invitation_is_sent_only_after_commit(admin_client):
    response = admin_client.post(INVITE, {"email": "later@initech.test", "role": "responder"})
    assert response.status_code == 302
    assert mail.outbox == []  # the test's transaction never commits


@pytest.mark.parametrize("persona", ["alice", "dave", "operator"])
def test_address_of_someone_elses_party_is_refused(
    admin_client, request, persona, django_capture_on_commit_callbacks
):
    other = request.getfixturevalue(persona)
    response = invite(admin_client, django_capture_on_commit_callbacks, email=other.email.upper())
    assert response.status_code == 400
    errors = response.context["invite_form"].errors["email"]
    assert "already belongs to another account" in errors[0]
    other.refresh_from_db()
    assert other.party is None or other.party.supplier_id != request.getfixturevalue("initech").pk
    assert mail.outbox == []
    # What was typed stays in the form.
    assert "Nora" in response.content.decode()


def test_colleague_already_in_the_team_is_refused(
    admin_client, carol, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, email=carol.email)
    assert response.status_code == 400
    assert response.context["invite_form"].errors["email"] == [
        "This person is already in your team."
    ]


def test_account_without_a_party_joins_the_team(
    admin_client, initech, newcomer, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, email=newcomer.email)
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.party.supplier == initech
    assert newcomer.has_usable_password()  # their own password stays
    assert "already have an account" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"role": "member"}, "role"),
        ({"email": ""}, "email"),
    ],
)
def test_invalid_invitation_names_the_field(
    admin_client, django_capture_on_commit_callbacks, data, field
):
    response = invite(admin_client, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 400
    assert field in response.context["invite_form"].errors
    assert not Membership.objects.filter(user__email="new@initech.test").exists()


def test_services_refuse_a_non_admin(carol, initech):
    with pytest.raises(ApplicationError):
        membership_invite(supplier=initech, invited_by=carol, email="x@initech.test", role="admin")
    assert not User.objects.filter(email="x@initech.test").exists()


def test_resend_invitation(admin_client, django_capture_on_commit_callbacks):
    invite(admin_client, django_capture_on_commit_callbacks)
    pending = Membership.objects.get(user__email="new@initech.test")
    response = admin_client.post(f"{TEAM}{pending.pk}/resend/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert link_in(mail.outbox[1])


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


def test_removed_person_can_be_invited_again(
    admin_client, ivy, carol, django_capture_on_commit_callbacks
):
    membership_remove(membership=carol.membership, actor=ivy)
    response = invite(admin_client, django_capture_on_commit_callbacks, email=carol.email)
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.is_active and carol.party.role == Membership.Role.RESPONDER


# --- Fixed query count ---------------------------------------------------------------------------


def test_team_page_costs_the_same_queries_for_one_or_many_colleagues(
    admin_client, initech, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(TEAM).status_code == 200
    for _ in range(25):
        SupplierMembershipFactory(supplier=initech, user=UserFactory(password="!unusable"))
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
