"""E-mail: HTML and plain text through the configured backend, never twice for one notification,
retried on SMTP failure with a bound, the failure recorded for operators; a person without an
address still gets the inbox row."""

from __future__ import annotations

import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.urls import reverse

from incidents import services
from incidents.models import Incident, IncidentEvent
from notifications import emails
from notifications.models import Notification
from notifications.services import notifications_generate
from notifications.tasks import send_notification_email, sweep_notifications

pytestmark = pytest.mark.django_db
Status = Notification.EmailStatus


class RefusingBackend(EmailBackend):
    """A mail server that refuses `refusals` times, then accepts."""

    refusals = 0
    tried = 0

    def send_messages(self, messages):
        type(self).tried += 1
        if type(self).tried <= type(self).refusals:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    RefusingBackend.tried = 0

    def _refusing(times: int) -> None:
        RefusingBackend.refusals = times

    return _refusing


def test_each_notification_is_mailed_in_html_and_plain_text(report, alice, carol):
    report(alice)
    (message,) = [m for m in mail.outbox if m.to == ["carol@initech.test"]]
    assert message.subject.startswith("New incident: #")
    assert "/portal/incidents/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<a href=" in html
    assert Notification.objects.get(recipient=carol).email_status == Status.SENT


def test_an_email_is_never_sent_twice(report, alice, carol):
    report(alice)
    row = Notification.objects.get(recipient=carol)
    assert send_notification_email(row.pk) == "skipped"
    assert send_notification_email.run(row.pk) == "skipped"
    assert len([m for m in mail.outbox if m.to == ["carol@initech.test"]]) == 1


def test_two_workers_claiming_one_email_send_it_once(report, alice, carol):
    report(alice)
    row = Notification.objects.get(recipient=carol)
    Notification.objects.filter(pk=row.pk).update(
        email_status=Status.PENDING, email_claimed_at=None
    )
    mail.outbox.clear()
    outcomes = [emails.notification_email_send(notification_id=row.pk) for _ in range(2)]
    assert sorted(a.outcome for a in outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


def test_a_refused_email_is_retried_then_sent(report, refusing, alice, carol):
    refusing(2)
    report(alice)
    row = Notification.objects.get(recipient=carol)
    assert row.email_status == Status.SENT and row.email_attempts == 3
    assert row.email_error == ""


def test_an_email_refused_every_time_fails_visibly_and_stops(report, refusing, alice, carol, op):
    refusing(100)
    report(alice)
    row = Notification.objects.get(recipient=carol)
    assert row.email_status == Status.FAILED
    assert row.email_attempts == 3
    assert "SMTPServerDisconnected" in row.email_error
    assert row.read_at is None  # the inbox still has it
    failed = op.get(reverse("admin:notifications_notification_changelist") + "?email_status=failed")
    assert failed.status_code == 200 and row.title in failed.content.decode()


def test_a_retry_waits_longer_each_time(report, refusing, settings, alice, carol):
    settings.SW_NOTIFICATION_EMAIL_BACKOFF_SECONDS = 10
    refusing(100)
    report(alice)
    row = Notification.objects.get(recipient=carol)
    Notification.objects.filter(pk=row.pk).update(
        email_status=Status.PENDING, email_claimed_at=None, email_attempts=0
    )
    waits = [emails.notification_email_send(notification_id=row.pk).retry_in for _ in range(2)]
    assert waits == [10, 20]


def test_a_person_without_an_address_gets_the_inbox_row_and_a_reason(report, alice, carol, ivy):
    type(carol).objects.filter(pk=carol.pk).update(email="")
    report(alice)
    row = Notification.objects.get(recipient=carol)
    assert row.email_status == Status.NO_ADDRESS and "no e-mail address" in row.email_error
    assert [m.to for m in mail.outbox] == [["ivy@initech.test"]]


def test_the_sweep_queues_an_email_whose_task_was_lost(committed, report, alice, carol):
    report(alice)
    row = Notification.objects.get(recipient=carol)
    Notification.objects.filter(pk=row.pk).update(
        email_status=Status.PENDING,
        email_claimed_at=None,
        created_at=row.created_at.replace(year=2020),
    )
    mail.outbox.clear()
    committed(sweep_notifications)
    assert [m.to for m in mail.outbox] == [["carol@initech.test"]]


def test_no_email_is_sent_inside_the_transaction_that_made_it(committed, report, alice, carol):
    incident = report(alice)
    mail.outbox.clear()
    sent_during = []

    def respond():
        services.incident_respond(incident=incident, author=carol, body="Checking.")
        sent_during.append(len(mail.outbox))

    committed(respond)
    assert sent_during == [0]
    assert [m.to for m in mail.outbox] == [["alice@acme.test"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_generating_one_event_at_once_tell_each_person_once(initech, alice, carol):
    """Real threads, each with its own PostgreSQL connection (SQLite serialises writers)."""
    incident = Incident.objects.create(
        supplier=initech, fingerprint="x", title="Shared", post_count=1
    )
    event = IncidentEvent.objects.create(incident=incident, kind=IncidentEvent.Kind.CREATED)
    barrier = threading.Barrier(2)
    errors = []

    def work():
        try:
            barrier.wait()
            notifications_generate(event_ids=[event.pk])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Notification.objects.filter(event=event).count() == 1
