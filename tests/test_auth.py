"""Logging in with an e-mail address, landing on one's own home, and the password pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY

from incidents.models import Post
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, PublicPostFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
NEW_PASSWORD = "correct-horse-battery-42"


def logged_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- Logging in and out -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["alice@acme.test", "ALICE@Acme.TEST"])
def test_buyer_logs_in_with_email_address(client, alice, typed):
    response = client.post(LOGIN_URL, {"username": typed, "password": "pw"})
    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_page_asks_for_email_and_password(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'type="email"' in response.content
    assert b'name="password"' in response.content


def test_wrong_password_shows_an_error_and_opens_no_session(client, alice):
    response = client.post(LOGIN_URL, {"username": "alice@acme.test", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert b"correct e-mail address and password" in response.content
    assert logged_in_user_id(client) is None


def test_unknown_address_opens_no_session(client, alice):
    response = client.post(LOGIN_URL, {"username": "mallory@acme.test", "password": "pw"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert logged_in_user_id(client) is None


def test_inactive_user_cannot_log_in(client, alice):
    alice.is_active = False
    alice.save()
    client.post(LOGIN_URL, {"username": "alice@acme.test", "password": "pw"})
    assert logged_in_user_id(client) is None


def test_logout_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.get("/buyer/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert logged_in_user_id(client) is None
    response = client.get("/buyer/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


# --- Everybody lands on their own home --------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "home"),
    [("alice", "/buyer/"), ("bob", "/buyer/"), ("carol", "/portal/"), ("operator", "/admin/")],
)
def test_root_sends_each_person_to_their_home(client, request, persona, home):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == home
    assert client.get(response.url).status_code == 200


def test_login_lands_buyer_on_buyer_home(client, alice):
    response = client.post(
        LOGIN_URL, {"username": "alice@acme.test", "password": "pw"}, follow=True
    )
    assert response.redirect_chain == [("/", 302), ("/buyer/", 302)]
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_root_sends_anonymous_visitor_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_user_without_membership_gets_403_at_root(client, newcomer):
    client.force_login(newcomer)
    response = client.get("/")
    assert response.status_code == 403
    assert b"no organization yet" in response.content


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("alice", "/portal/"),
        ("carol", "/buyer/"),
        ("newcomer", "/buyer/"),
        ("newcomer", "/portal/"),
        ("operator", "/buyer/"),
        ("operator", "/portal/"),
    ],
)
def test_pages_of_another_kind_of_account_are_forbidden(client, request, persona, path):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/buyer/", "/portal/"])
def test_anonymous_visitor_is_sent_to_login_with_next(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={path}"


# --- Passwords --------------------------------------------------------------------------------


def test_password_change(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The session survives the change.
    assert client.get("/buyer/").status_code == 200


def test_password_change_needs_the_old_password(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    alice.refresh_from_db()
    assert alice.check_password("pw")


def test_password_reset_by_email(client, alice, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "ALICE@acme.test"})
    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@acme.test"]
    link = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1))
    assert response.status_code == 302  # to the same page without the token in the URL
    set_password_url = response.url
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"

    client.post(LOGIN_URL, {"username": "alice@acme.test", "password": "pw"})
    assert logged_in_user_id(client) is None
    client.post(LOGIN_URL, {"username": "alice@acme.test", "password": NEW_PASSWORD})
    assert logged_in_user_id(client) == str(alice.pk)

    # The link works once.
    response = client.get(link.group(1), follow=True)
    assert response.context["validlink"] is False


def test_password_reset_for_unknown_address_sends_nothing_and_tells_nothing(client, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "mallory@example.test"})
    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    assert mailoutbox == []


# --- Home pages show only one's own party's things --------------------------------------------


def test_buyer_home_lists_own_private_reports_but_not_other_organizations(
    client, alice, bob, acme, globex, initech
):
    BuyerPostFactory(
        organization=acme,
        author=alice,
        supplier=initech,
        visibility=Post.Visibility.PRIVATE,
        text="Acme internal: housings cracked on PO 4711",
    )
    BuyerPostFactory(
        organization=globex,
        author=bob,
        supplier=initech,
        visibility=Post.Visibility.PRIVATE,
        text="Globex internal: connectors corroded on PO 815",
    )
    client.force_login(alice)
    response = client.get("/buyer/")
    assert response.status_code == 200
    assert b"Acme internal: housings cracked" in response.content
    assert b"Globex internal" not in response.content


def test_portal_home_lists_only_own_suppliers_incidents(
    client, carol, alice, acme, initech, umbrella
):
    own = IncidentFactory(supplier=initech, title="Initech cracked housings", post_count=1)
    PostMatchFactory(post=PublicPostFactory(), supplier=initech, incident=own)
    other = IncidentFactory(supplier=umbrella, title="Umbrella crushed pallets", post_count=1)
    PostMatchFactory(post=PublicPostFactory(), supplier=umbrella, incident=other)
    # Made of one private report only: not even counted for the supplier.
    private = IncidentFactory(supplier=initech, title="Initech missing CoC", post_count=0)
    PostMatchFactory(
        post=BuyerPostFactory(
            organization=acme, supplier=initech, author=alice, visibility=Post.Visibility.PRIVATE
        ),
        supplier=initech,
        incident=private,
    )
    client.force_login(carol)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert b"Initech cracked housings" in response.content
    assert b"Umbrella crushed pallets" not in response.content
    assert b"Initech missing CoC" not in response.content
    assert response.context["overview"].open_total == 1
