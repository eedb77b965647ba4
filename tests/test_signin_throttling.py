"""Guessing passwords and flooding inboxes (supplierwatch/signin.py): logins on the site and in the
admin lock out (address typed, client) after too many failures until the cool-off ends; password
resets are bounded per address and per client; a known and an unknown address read the same."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from supplierwatch.signin import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
RESET = "/accounts/password_reset/"
ATTACKER = "203.0.113.7"


def from_client(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def log_in(client: Client, email: str, password: str, url: str = LOGIN):
    return client.post(url, {"username": email, "password": password, "next": "/"})


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def fail(client: Client, email: str, times: int, url: str = LOGIN) -> list[int]:
    return [log_in(client, email, "wrong-guess", url).status_code for _ in range(times)]


# --- Logins ----------------------------------------------------------------------------------


def test_wrong_passwords_then_the_right_one_is_refused_until_the_cool_off(settings, alice):
    attacker = from_client(ATTACKER)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = fail(attacker, alice.email, 30)
    # The form answers the first failures; from the limit on, the lockout page does.
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert statuses[limit - 1 :] == [429] * (30 - limit + 1)

    locked = log_in(attacker, alice.email, "pw")
    assert locked.status_code == 429
    assert not signed_in(attacker)
    assert b"Too many attempts to log in" in locked.content
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))

    # Once the cool-off has passed since the last failure, the right password works again.
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
        attempt.save(update_fields=["attempt_time"])
    assert log_in(attacker, alice.email, "pw").status_code == 302
    assert signed_in(attacker)


def test_admin_login_locks_out_likewise(settings, operator):
    attacker = from_client(ATTACKER)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = fail(attacker, operator.email, 10, url=ADMIN_LOGIN)
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert set(statuses[limit - 1 :]) == {429}
    response = log_in(attacker, operator.email, "pw", url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert not signed_in(attacker)


def test_the_address_counts_whatever_its_case_or_spaces(settings, alice):
    attacker = from_client(ATTACKER)
    typings = ["alice@acme.test", "ALICE@acme.test", " Alice@Acme.Test", "alice@ACME.TEST "]
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, typings[n % len(typings)], "wrong-guess")
    assert log_in(attacker, "Alice@acme.test", "pw").status_code == 429


def test_an_attacker_cannot_lock_the_owner_out_from_elsewhere(settings, alice):
    fail(from_client(ATTACKER), alice.email, settings.AXES_FAILURE_LIMIT + 3)
    owner = from_client("198.51.100.20")
    assert log_in(owner, alice.email, "pw").status_code == 302
    assert signed_in(owner)


def test_one_client_locked_out_of_one_address_may_still_log_in_with_another(settings, alice, bob):
    office = from_client(ATTACKER)
    fail(office, alice.email, settings.AXES_FAILURE_LIMIT)
    assert log_in(office, bob.email, "pw").status_code == 302


def test_the_right_password_clears_earlier_failures(settings, alice):
    client = from_client(ATTACKER)
    for _ in range(3):
        fail(client, alice.email, settings.AXES_FAILURE_LIMIT - 1)
        assert log_in(client, alice.email, "pw").status_code == 302
        client.post("/accounts/logout/")


def test_lockout_reads_the_same_for_known_and_unknown_addresses(settings, alice):
    known, unknown = from_client("192.0.2.1"), from_client("192.0.2.2")
    limit = settings.AXES_FAILURE_LIMIT
    assert fail(known, alice.email, limit + 2) == fail(unknown, "mallory@acme.test", limit + 2)
    known_page = log_in(known, alice.email, "pw")
    unknown_page = log_in(unknown, "mallory@acme.test", "pw")
    assert known_page.status_code == unknown_page.status_code == 429
    assert known_page.content == unknown_page.content
    assert known_page["Retry-After"] == unknown_page["Retry-After"]


def test_operator_sees_and_clears_a_lockout_in_the_admin(settings, op, alice):
    attacker = from_client(ATTACKER)
    fail(attacker, alice.email, settings.AXES_FAILURE_LIMIT)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = op.get(changelist, {"locked_out": "yes"})
    assert page.status_code == 200
    assert alice.email in page.content.decode()
    assert "Locked Out" in page.content.decode()

    attempt = AccessAttempt.objects.get(username=alice.email, ip_address=ATTACKER)
    cleared = op.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert cleared.status_code == 302
    assert log_in(attacker, alice.email, "pw").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "client"),
    [
        (0, "", "192.0.2.1", "192.0.2.1"),
        # Without proxies, a header the client wrote is not believed.
        (0, "198.51.100.9", "192.0.2.1", "192.0.2.1"),
        # Behind one load balancer: the entry it appended, not the one the client forged.
        (1, "198.51.100.9, 203.0.113.7", "10.0.0.2", "203.0.113.7"),
        (2, "198.51.100.9, 203.0.113.7, 10.0.0.3", "10.0.0.2", "203.0.113.7"),
        # Fewer entries than proxies: the request bypassed them; its own address counts.
        (2, "203.0.113.7", "10.0.0.2", "10.0.0.2"),
    ],
)
def test_client_address_believes_only_the_trusted_proxies(
    settings, rf, proxies, forwarded, remote, client
):
    settings.SW_TRUSTED_PROXY_COUNT = proxies
    request = rf.post(LOGIN, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_behind_a_proxy_a_forged_header_does_not_escape_the_lockout(settings, alice):
    settings.SW_TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = f"198.51.100.{n}, {ATTACKER}"
        client.post(
            LOGIN, {"username": alice.email, "password": "wrong"}, HTTP_X_FORWARDED_FOR=forged
        )
    response = client.post(
        LOGIN,
        {"username": alice.email, "password": "pw"},
        HTTP_X_FORWARDED_FOR=f"198.51.100.99, {ATTACKER}",
    )
    assert response.status_code == 429


# --- Password resets -------------------------------------------------------------------------


@pytest.fixture
def reset_limits(settings):
    """The production defaults of the limits (tests/settings.py raises them for other tests)."""
    settings.SW_PASSWORD_RESETS_PER_ADDRESS = 3
    settings.SW_PASSWORD_RESETS_PER_CLIENT = 10
    return settings


def fresh_address(domain: str = "acme.test") -> str:
    """An address of this test alone: the counters live in the cache, which outlives a test."""
    return f"{uuid.uuid4().hex[:12]}@{domain}"


def fresh_client() -> Client:
    return from_client(f"2001:db8::{uuid.uuid4().hex[:4]}")


def test_reset_emails_are_bounded_per_address(reset_limits, mailoutbox):
    person = UserFactory(email=fresh_address())
    statuses = [
        fresh_client().post(RESET, {"email": person.email.upper()}).status_code for _ in range(10)
    ]
    limit = reset_limits.SW_PASSWORD_RESETS_PER_ADDRESS
    assert statuses == [302] * limit + [429] * (10 - limit)
    assert len(mailoutbox) == limit


def test_reset_requests_are_bounded_per_client(reset_limits, mailoutbox):
    people = [UserFactory(email=fresh_address()) for _ in range(12)]
    client = fresh_client()
    statuses = [client.post(RESET, {"email": person.email}).status_code for person in people]
    limit = reset_limits.SW_PASSWORD_RESETS_PER_CLIENT
    assert statuses == [302] * limit + [429] * (12 - limit)
    assert len(mailoutbox) == limit
    # Another client still may ask for the rest.
    assert fresh_client().post(RESET, {"email": people[-1].email}).status_code == 302


def test_reset_limit_reads_the_same_for_known_and_unknown_addresses(reset_limits, mailoutbox):
    known = UserFactory(email=fresh_address()).email
    unknown = fresh_address()

    def ask(address: str) -> list:
        client = fresh_client()
        return [client.post(RESET, {"email": address}) for _ in range(5)]

    known_answers, unknown_answers = ask(known), ask(unknown)
    assert [r.status_code for r in known_answers] == [r.status_code for r in unknown_answers]
    assert [r.get("Location") for r in known_answers] == [
        r.get("Location") for r in unknown_answers
    ]
    assert known_answers[-1].status_code == 429
    assert known_answers[-1].content == unknown_answers[-1].content
    assert b"Too many password reset requests" in known_answers[-1].content
    assert {message.to[0] for message in mailoutbox} == {known}
