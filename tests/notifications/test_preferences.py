"""Preferences: per person and kind, e-mail immediately or never (the inbox shows everything);
every e-mail carries a signed unsubscribe link for its kind that works without signing in, and
acts only on a POST (mail scanners follow links)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import SUPPLIER_KINDS, Kind, Notification, NotificationPreference
from notifications.services import preferences_of
from notifications.unsubscribe import unsubscribe_path, unsubscribe_token

pytestmark = pytest.mark.django_db
Delivery = NotificationPreference.Delivery


def test_everything_is_emailed_immediately_by_default(carol):
    assert set(preferences_of(carol).values()) == {Delivery.IMMEDIATELY}


def test_never_keeps_the_inbox_row_and_sends_no_email(report, alice, carol, ivy):
    NotificationPreference.objects.create(user=carol, kind=Kind.NEW_INCIDENT, delivery="never")
    report(alice)
    row = Notification.objects.get(recipient=carol)
    assert row.email_status == Notification.EmailStatus.NOT_WANTED
    assert [m.to for m in mail.outbox] == [["ivy@initech.test"]]


def test_the_settings_page_offers_ones_own_sides_kinds_and_saves_them(client, carol):
    client.force_login(carol)
    page = client.get(reverse("notification-settings")).content.decode()
    assert Kind.ASSIGNED.label in page and Kind.ANSWER.label not in page
    form = {kind: "immediately" for kind in SUPPLIER_KINDS if kind != Kind.ASSIGNED}
    form |= {"hour": "8", "time_zone": "Europe/Berlin"}
    response = client.post(reverse("notification-settings"), {**form, "assigned": "never"})
    assert response.status_code == 302
    assert preferences_of(carol)[Kind.ASSIGNED] == Delivery.NEVER


def test_the_settings_page_refuses_an_unknown_choice(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("notification-settings"), {"answer": "hourly", "status": "never"}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_inbox_links_to_the_settings(client, alice):
    client.force_login(alice)
    assert reverse("notification-settings") in client.get(reverse("inbox")).content.decode()


def test_every_email_carries_its_kinds_unsubscribe_link(report, alice, carol):
    report(alice)
    (message,) = [m for m in mail.outbox if m.to == ["carol@initech.test"]]
    path = unsubscribe_path(user_id=carol.pk, kind=Kind.NEW_INCIDENT)
    assert path in message.body and path in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert path in message.extra_headers["List-Unsubscribe"]


def test_following_the_link_asks_first_and_changes_nothing(client, carol):
    url = unsubscribe_path(user_id=carol.pk, kind=Kind.SPIKE)
    page = client.get(url)
    assert page.status_code == 200 and "Stop these e-mails?" in page.content.decode()
    assert preferences_of(carol)[Kind.SPIKE] == Delivery.IMMEDIATELY


def test_posting_the_link_unsubscribes_that_kind_only_without_signing_in(client, carol):
    response = client.post(unsubscribe_path(user_id=carol.pk, kind=Kind.SPIKE))
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    assert preferences_of(carol)[Kind.SPIKE] == Delivery.NEVER
    assert preferences_of(carol)[Kind.ASSIGNED] == Delivery.IMMEDIATELY


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        unsubscribe_token(user_id=1, kind="spike")[:-2] + "xx",
    ],
    # The signed token carries a timestamp: named by what it is, so every run collects the same.
    ids=["nonsense", "altered-signature"],
)
def test_an_altered_link_does_nothing(client, carol, token):
    response = client.post(reverse("notification-unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_link_for_an_unknown_kind_does_nothing(client, carol):
    response = client.post(unsubscribe_path(user_id=carol.pk, kind="everything"))
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_link_older_than_links_last_says_so_and_does_nothing(client, carol, settings):
    settings.SW_UNSUBSCRIBE_LINK_DAYS = 30
    path = unsubscribe_path(user_id=carol.pk, kind=Kind.SPIKE)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.post(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_link_within_its_life_still_works(client, carol, settings):
    settings.SW_UNSUBSCRIBE_LINK_DAYS = 30
    path = unsubscribe_path(user_id=carol.pk, kind=Kind.SPIKE)
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        response = client.post(path)
    assert response.status_code == 200
    assert preferences_of(carol)[Kind.SPIKE] == Delivery.NEVER
