"""The daily digest: notifications a person chose to read once a day go out together, at the whole
hour they chose in their own time zone, once a day; a failed digest is tried again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from notifications.digests import digest_day, digests_send
from notifications.models import (
    SUPPLIER_KINDS,
    DigestSchedule,
    Kind,
    Notification,
    NotificationPreference,
)
from notifications.tasks import send_digests

from .test_email import RefusingBackend

pytestmark = pytest.mark.django_db
Status = Notification.EmailStatus


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def digesting(carol):
    """Carol reads new incidents in a digest at 08:00 in Berlin (UTC+1 in winter)."""
    NotificationPreference.objects.create(user=carol, kind=Kind.NEW_INCIDENT, delivery="digest")
    DigestSchedule.objects.create(user=carol, hour=8, time_zone="Europe/Berlin")
    return carol


def carols_mail():
    return [m for m in mail.outbox if m.to == ["carol@initech.test"]]


def waiting(user):
    Notification.objects.filter(recipient=user).update(created_at=at("2026-12-01T05:00:00"))


def test_a_digest_kind_is_not_mailed_at_once(report, alice, digesting):
    report(alice)
    assert Notification.objects.get(recipient=digesting).email_status == Status.DIGEST
    assert carols_mail() == []


def test_the_digest_goes_out_at_the_chosen_local_hour_once_a_day(report, alice, bob, digesting):
    report(alice)
    report(bob, lot="L-2")
    waiting(digesting)
    assert digests_send(now=at("2026-12-01T06:59:00")) == {"sent": 0, "failed": 0}  # 07:59 there
    assert digests_send(now=at("2026-12-01T07:05:00")) == {"sent": 1, "failed": 0}  # 08:05 there
    (digest,) = carols_mail()
    assert "2 notifications" in digest.subject
    assert digest.body.count("New incident: #") == 2
    assert "/inbox/unsubscribe/" in digest.body and "<ul>" in digest.alternatives[0][0]
    assert set(
        Notification.objects.filter(recipient=digesting).values_list("email_status", flat=True)
    ) == {Status.SENT}
    assert digests_send(now=at("2026-12-01T15:00:00")) == {"sent": 0, "failed": 0}
    assert DigestSchedule.objects.get(user=digesting).last_sent_on == date(2026, 12, 1)


def test_nothing_new_sends_no_digest(digesting):
    assert digests_send(now=at("2026-12-01T07:05:00")) == {"sent": 0, "failed": 0}
    assert mail.outbox == []


def test_the_local_day_decides_across_the_date_line():
    # 19:30 UTC on 1 December is 08:30 on 2 December in Auckland (UTC+13 in summer).
    assert digest_day(
        hour=8,
        time_zone="Pacific/Auckland",
        last_sent_on=date(2026, 12, 1),
        now=at("2026-12-01T19:30:00"),
    ) == date(2026, 12, 2)
    assert (
        digest_day(
            hour=8,
            time_zone="Pacific/Auckland",
            last_sent_on=date(2026, 12, 2),
            now=at("2026-12-01T19:30:00"),
        )
        is None
    )
    assert (
        digest_day(hour=8, time_zone="UTC", last_sent_on=None, now=at("2026-12-01T07:59:59"))
        is None
    )


def test_a_digest_missed_at_its_hour_goes_out_later_that_day():
    assert digest_day(
        hour=8, time_zone="UTC", last_sent_on=date(2026, 11, 30), now=at("2026-12-01T13:00:00")
    ) == date(2026, 12, 1)


def test_without_a_schedule_the_digest_goes_at_eight_utc(report, alice, carol):
    NotificationPreference.objects.create(user=carol, kind=Kind.NEW_INCIDENT, delivery="digest")
    report(alice)
    waiting(carol)
    assert digests_send(now=at("2026-12-01T07:59:00"))["sent"] == 0
    assert digests_send(now=at("2026-12-01T08:00:00"))["sent"] == 1


def test_the_beat_task_sends_the_digests_due_now(report, alice, carol):
    NotificationPreference.objects.create(user=carol, kind=Kind.NEW_INCIDENT, delivery="digest")
    DigestSchedule.objects.create(user=carol, hour=0, time_zone="UTC")
    report(alice)
    assert send_digests.run() == {"sent": 1, "failed": 0}  # from midnight on, every hour is due


def test_a_failed_digest_is_tried_again_and_its_notifications_wait(
    report, settings, alice, digesting
):
    settings.EMAIL_BACKEND = "tests.notifications.test_email.RefusingBackend"
    RefusingBackend.tried, RefusingBackend.refusals = 0, 1
    report(alice)
    waiting(digesting)
    assert digests_send(now=at("2026-12-01T07:05:00")) == {"sent": 0, "failed": 1}
    row = Notification.objects.get(recipient=digesting)
    assert row.email_status == Status.DIGEST and "SMTPServerDisconnected" in row.email_error
    assert digests_send(now=at("2026-12-01T07:20:00")) == {"sent": 1, "failed": 0}
    assert Notification.objects.get(recipient=digesting).email_status == Status.SENT


def test_two_runs_at_once_send_one_digest(report, alice, digesting):
    from notifications.digests import digest_send

    report(alice)
    waiting(digesting)
    now = at("2026-12-01T07:05:00")
    outcomes = [digest_send(user_id=digesting.pk, day=date(2026, 12, 1), now=now) for _ in range(2)]
    assert outcomes == ["sent", "skipped"]
    assert len(carols_mail()) == 1


def test_the_settings_page_sets_the_digest_hour_and_zone(client, carol):
    client.force_login(carol)
    form = {kind: "digest" for kind in SUPPLIER_KINDS}
    response = client.post(
        reverse("notification-settings"), {**form, "hour": "17", "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    schedule = DigestSchedule.objects.get(user=carol)
    assert (schedule.hour, schedule.time_zone) == (17, "Asia/Tokyo")


@pytest.mark.parametrize(("hour", "zone"), [("8", "Mars/Olympus_Mons"), ("25", "UTC"), ("8", "")])
def test_an_invalid_time_zone_or_hour_is_refused_with_a_message(client, carol, hour, zone):
    client.force_login(carol)
    form = {kind: "digest" for kind in SUPPLIER_KINDS}
    response = client.post(
        reverse("notification-settings"), {**form, "hour": hour, "time_zone": zone}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not DigestSchedule.objects.exists()
    assert not NotificationPreference.objects.exists()


def test_a_time_zone_the_service_refuses_is_shown_beside_its_field(carol):
    from notifications.services import digest_schedule_set
    from supplierwatch.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        digest_schedule_set(user=carol, hour=8, time_zone="Europe/Atlantis")
    assert refused.value.field == "time_zone"
    assert "time zone" in refused.value.message


def test_the_next_days_digest_brings_only_whats_new(report, alice, bob, digesting):
    report(alice)
    waiting(digesting)
    digests_send(now=at("2026-12-01T07:05:00"))
    report(bob, lot="L-2")
    Notification.objects.filter(email_status=Status.DIGEST).update(
        created_at=at("2026-12-01T12:00:00")
    )
    mail.outbox.clear()
    assert digests_send(now=at("2026-12-02T07:05:00") - timedelta(hours=1))["sent"] == 0
    assert digests_send(now=at("2026-12-02T07:05:00"))["sent"] == 1
    (digest,) = carols_mail()
    assert "1 notification today" in digest.subject
