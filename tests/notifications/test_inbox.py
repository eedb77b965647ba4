"""The inbox: a bell with the unread count on every signed-in page, a page of notifications newest
first, each opening its incident, mark read and mark all read; only one's own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import IncidentEventFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def notify(user, n=1, **extra) -> list[Notification]:
    rows = []
    for i in range(n):
        event = IncidentEventFactory()
        rows.append(
            Notification.objects.create(
                recipient=user,
                event=event,
                incident=event.incident,
                kind="answer",
                title=f"Answered #{i}",
                text="Initech Components answered publicly.",
                url=f"/incidents/{event.incident_id}/",
                shown_at=timezone.now(),
                **extra,
            )
        )
    return rows


def test_the_bell_shows_the_unread_count_on_every_signed_in_page(client, alice):
    notify(alice, 3)
    client.force_login(alice)
    page = client.get(reverse("buyer-home")).content.decode()
    assert 'href="/inbox/"' in page
    assert '>3<span class="visually-hidden"> unread</span>' in page


def test_the_bell_costs_one_query(client, alice):
    notify(alice, 2)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("notification-settings"))
    counting = [
        q for q in captured.captured_queries if 'FROM "notifications_notification"' in q["sql"]
    ]
    assert len(counting) == 1


def test_the_bell_is_not_on_signed_out_pages(client):
    assert 'href="/inbox/"' not in client.get(reverse("login")).content.decode()


def test_the_inbox_lists_ones_own_notifications_newest_first(client, alice, bob):
    first, second = notify(alice, 2)
    notify(bob, 1)
    client.force_login(alice)
    page = client.get(reverse("inbox")).content.decode()
    assert page.index(second.title) < page.index(first.title)
    assert page.count('id="notification-') == 2


def test_the_inbox_costs_the_same_for_many_rows(client, alice, django_assert_max_num_queries):
    notify(alice, 30)
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("inbox"))
    assert response.content.decode().count('id="notification-') == 25
    assert "Page 1 of 2" in response.content.decode()


def test_opening_a_notification_marks_it_read_and_leads_to_its_incident(client, alice):
    (row,) = notify(alice)
    client.force_login(alice)
    response = client.get(reverse("notification-open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == row.url
    row.refresh_from_db()
    assert row.read_at is not None


def test_nobody_opens_or_marks_anothers_notification(client, alice, bob):
    (row,) = notify(alice)
    client.force_login(bob)
    assert client.get(reverse("notification-open", args=[row.pk])).status_code == 404
    assert client.post(reverse("notification-read", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_read_and_mark_all_read(client, alice, bob):
    first, *_ = notify(alice, 3)
    (bobs,) = notify(bob)
    client.force_login(alice)
    client.post(reverse("notification-read", args=[first.pk]))
    assert Notification.objects.filter(recipient=alice).unread().count() == 2
    client.post(reverse("inbox-read-all"))
    assert Notification.objects.filter(recipient=alice).unread().count() == 0
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_marking_read_takes_a_post(client, alice):
    (row,) = notify(alice)
    client.force_login(alice)
    assert client.get(reverse("notification-read", args=[row.pk])).status_code == 405
    assert client.get(reverse("inbox-read-all")).status_code == 405


def test_the_inbox_needs_signing_in(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_notification_for_a_deleted_incident_goes_with_it(alice):
    incident = IncidentFactory()
    event = IncidentEventFactory(incident=incident)
    Notification.objects.create(
        recipient=alice,
        event=event,
        incident=incident,
        kind="answer",
        title="t",
        text="x",
        url="/",
        shown_at=timezone.now(),
    )
    incident.delete()
    assert not Notification.objects.exists()
