"""Inviting colleagues to a supplier's team, and accepting (suppliers.services.team).

ivy is Initech's admin (tests/suppliers/conftest.py); uma is Umbrella's admin; carol is an
Initech responder, dave Umbrella's; alice is a buyer at Acme; newcomer has an account but no party.
An invitation is a pending row and an e-mail; only the owner of the address, through its link,
makes an account join.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from suppliers.models import Invitation, Membership, User
from suppliers.services import (
    invitation_accept,
    invitation_token,
    membership_invite,
    membership_remove,
)
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierMembershipFactory

pytestmark = pytest.mark.django_db

TEAM = "/portal/team/"
INVITE = "/portal/team/invite/"
NEW_PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def uma(umbrella) -> User:
    """Umbrella's admin."""
    return SupplierMembershipFactory(
        user__email="uma@umbrella.test",
        user__first_name="Uma",
        supplier=umbrella,
        role=Membership.Role.ADMIN,
    ).user


def invite(client, django_capture_on_commit_callbacks, **data):
    data = {"email": "new@initech.test", "first_name": "Nora", "last_name": "New", **data}
    data.setdefault("role", "responder")
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(INVITE, data)


def join_path(message) -> str:
    found = re.search(r"https?://[^/\s]+(/portal/team/join/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def accept(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, {"new_password1": password, "new_password2": password})


def logs_in(client, email: str, password: str) -> bool:
    client.logout()
    client.post("/accounts/login/", {"username": email, "password": password})
    return SESSION_KEY in client.session


# --- Inviting ------------------------------------------------------------------------------------


def test_invite_records_a_pending_invitation_and_emails_a_link(
    admin_client, initech, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, role="viewer")
    assert response.status_code == 302
    assert not User.objects.filter(email="new@initech.test").exists()
    invitation = Invitation.objects.get(email="new@initech.test")
    assert (invitation.supplier, invitation.role) == (initech, Membership.Role.VIEWER)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@initech.test"]
    assert "Initech Components" in message.subject
    assert "Ivy Ingram" in message.subject
    assert "viewer" in message.body
    assert join_path(message)
    page = admin_client.get(TEAM).content.decode()
    assert f'id="invitation-{invitation.pk}"' in page


def test_invited_colleague_chooses_a_password_and_joins(
    client, ivy, initech, django_capture_on_commit_callbacks
):
    client.force_login(ivy)
    invite(client, django_capture_on_commit_callbacks)
    client.logout()
    path = join_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Initech Components" in page.content.decode()
    done = accept(client, path)
    assert done.status_code == 302
    user = User.objects.get(email="new@initech.test")
    assert user.get_full_name() == "Nora New"
    assert user.membership.supplier == initech
    assert client.get("/portal/").status_code == 200  # signed in
    assert logs_in(client, "new@initech.test", NEW_PASSWORD)
    assert not Invitation.objects.exists()
    # The link is spent once used.
    client.logout()
    assert client.get(path).status_code == 404


def test_a_weak_password_is_refused_with_the_reason(
    client, admin_client, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks)
    admin_client.logout()
    response = accept(client, join_path(mail.outbox[0]), password="new@initech")
    assert response.status_code == 400
    assert response.context["form"].errors["new_password2"]
    assert not User.objects.filter(email="new@initech.test").exists()


def test_a_forged_or_withdrawn_link_is_no_longer_valid(
    client, admin_client, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    path = join_path(mail.outbox[0])
    assert client.get(path[:-3] + "xx/").status_code == 404
    response = admin_client.post(f"{TEAM}invitations/{invitation.pk}/withdraw/")
    assert response.status_code == 302
    admin_client.logout()
    assert client.get(path).status_code == 404
    assert accept(client, path).status_code == 404
    assert not User.objects.filter(email="new@initech.test").exists()


def test_invitation_is_sent_only_after_commit(admin_client):
    response = admin_client.post(INVITE, {"email": "later@initech.test", "role": "responder"})
    assert response.status_code == 302
    assert mail.outbox == []  # the test's transaction never commits


def test_send_again_emails_a_fresh_link(admin_client, django_capture_on_commit_callbacks):
    invite(admin_client, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{TEAM}invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert join_path(mail.outbox[1])


def test_another_suppliers_invitation_is_a_404(
    client, uma, admin_client, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    client.force_login(uma)
    assert client.post(f"{TEAM}invitations/{invitation.pk}/withdraw/").status_code == 404
    assert client.post(f"{TEAM}invitations/{invitation.pk}/resend/").status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_colleague_already_in_the_team_is_refused(
    admin_client, carol, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, email=carol.email)
    assert response.status_code == 400
    assert response.context["invite_form"].errors["email"] == [
        "This person is already in your team."
    ]


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
    assert not Invitation.objects.exists()


def test_services_refuse_a_non_admin(carol, initech):
    with pytest.raises(ApplicationError):
        membership_invite(supplier=initech, invited_by=carol, email="x@initech.test", role="admin")
    assert not Invitation.objects.exists()


# --- Nobody learns who has an account ----------------------------------------------------------


def _what_the_admin_sees(client, response, email: str) -> tuple:
    """The invitation's answer and its row on the team page, with the address taken out."""
    page = client.get(TEAM).content.decode()
    invitation = Invitation.objects.get(email=email)
    row = re.search(rf'<tr id="invitation-{invitation.pk}">.*?</tr>', page, re.S)
    assert row, page
    shown = [str(m) for m in response.wsgi_request._messages] if response.status_code == 302 else []

    def blank(text: str) -> str:
        text = text.replace(email, "ADDRESS")
        text = re.sub(r"(invitations?[-/])\d+", r"\1PK", text)
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", text)
        return re.sub(r'datetime="[^"]*"', "SENT", text)

    return response.status_code, [blank(m) for m in shown], blank(row.group(0))


@pytest.mark.parametrize("persona", ["alice", "dave", "operator", "newcomer", "removed_carol"])
def test_inviting_answers_the_same_whoever_has_the_address(
    admin_client, request, ivy, carol, persona, django_capture_on_commit_callbacks
):
    """The attack: an admin invites addresses to learn which have an account elsewhere."""
    nobody = invite(admin_client, django_capture_on_commit_callbacks, email="nobody@acme.test")
    expected = _what_the_admin_sees(admin_client, nobody, "nobody@acme.test")

    if persona == "removed_carol":
        membership_remove(membership=carol.membership, actor=ivy)
        someone = carol
    else:
        someone = request.getfixturevalue(persona)
    party_before = User.objects.get(pk=someone.pk).party
    response = invite(admin_client, django_capture_on_commit_callbacks, email=someone.email)
    assert _what_the_admin_sees(admin_client, response, someone.email) == expected
    someone.refresh_from_db()
    assert someone.party == party_before  # nothing joined before its owner acts


@pytest.mark.parametrize("persona", ["alice", "dave", "operator"])
def test_an_address_of_another_party_gets_a_neutral_email_and_nothing_joins(
    admin_client, client, request, persona, initech, django_capture_on_commit_callbacks
):
    other = request.getfixturevalue(persona)
    invite(admin_client, django_capture_on_commit_callbacks, email=other.email.upper())
    message = mail.outbox[-1]
    assert message.to == [other.email]
    assert "nothing has changed" in message.body
    assert f"Hello {other.first_name}," in message.body  # their own name, not the typed one
    assert "/portal/team/join/" not in message.body
    # Even with the link (an invitation made while the account had no party), nothing joins.
    path = f"/portal/team/join/{invitation_token(Invitation.objects.get())}/"
    response = accept(client, path)
    assert response.status_code == 400
    assert "belongs elsewhere" in response.content.decode()
    other.refresh_from_db()
    assert other.check_password("pw")
    assert other.party is None or other.party.supplier_id != initech.pk


# --- A removed colleague's account is not taken over -------------------------------------------


def test_a_removed_colleague_is_not_revived_with_the_old_password(
    client, ivy, uma, carol, django_capture_on_commit_callbacks
):
    """The attack: Initech removes carol; Umbrella's admin invites her address, and her old
    password would work again, now inside Umbrella."""
    membership_remove(membership=carol.membership, actor=ivy)
    client.force_login(uma)
    invite(client, django_capture_on_commit_callbacks, email=carol.email)
    carol.refresh_from_db()
    assert not carol.is_active and carol.party is None
    assert not logs_in(client, carol.email, "pw")

    # Only the owner of the address, through its link, brings the account back, with a new
    # password; the old one stays dead.
    path = join_path(mail.outbox[-1])
    assert accept(client, path).status_code == 302
    carol.refresh_from_db()
    assert carol.is_active and carol.party.supplier.slug == "umbrella-packaging"
    assert not logs_in(client, carol.email, "pw")
    assert logs_in(client, carol.email, NEW_PASSWORD)


def test_removed_person_can_be_invited_again(
    admin_client, client, ivy, carol, django_capture_on_commit_callbacks
):
    membership_remove(membership=carol.membership, actor=ivy)
    response = invite(admin_client, django_capture_on_commit_callbacks, email=carol.email)
    assert response.status_code == 302
    assert accept(client, join_path(mail.outbox[-1])).status_code == 302
    carol.refresh_from_db()
    assert carol.is_active and carol.party.role == Membership.Role.RESPONDER
    assert carol.check_password(NEW_PASSWORD) and not carol.check_password("pw")


def test_account_without_a_party_joins_the_team(
    admin_client, client, initech, newcomer, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks, email=newcomer.email)
    newcomer.refresh_from_db()
    assert newcomer.party is None  # not before its owner accepts
    assert accept(client, join_path(mail.outbox[-1])).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.party.supplier == initech
    assert newcomer.first_name == "Nina"  # their own name stays


def test_an_invitation_accepted_twice_joins_once(ivy, initech):
    invitation = membership_invite(
        supplier=initech, invited_by=ivy, email="new@initech.test", role="viewer"
    )
    invitation_accept(invitation=invitation, password=NEW_PASSWORD)
    with pytest.raises(ApplicationError, match="no longer valid"):
        invitation_accept(invitation=invitation, password="another-password-42")
    assert User.objects.get(email="new@initech.test").check_password(NEW_PASSWORD)
