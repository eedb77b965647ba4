"""Two real Celery workers (Redis, PostgreSQL) given the same event's generation, and the same
e-mails, many times: each person is told once and e-mailed once."""

from __future__ import annotations

import time

import pytest

from incidents.models import Incident, IncidentEvent
from notifications.models import Notification
from notifications.tasks import generate_notifications, send_notification_email
from suppliers.models import Membership
from tests.factories import SupplierFactory, SupplierMembershipFactory
from tests.workers import wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_two_workers_tell_each_person_once(queue, start_worker):
    supplier = SupplierFactory(name="Initech Components", slug="initech-components")
    for email in ("carol@initech.test", "ivy@initech.test"):
        SupplierMembershipFactory(
            user__email=email, supplier=supplier, role=Membership.Role.RESPONDER
        )
    incident = Incident.objects.create(
        supplier=supplier, fingerprint="fp", title="Cracked housings", post_count=1
    )
    event = IncidentEvent.objects.create(incident=incident, kind=IncidentEvent.Kind.CREATED)
    workers = [start_worker(), start_worker()]

    for _ in range(10):
        generate_notifications.delay([event.pk])
    rows = Notification.objects.filter(event=event)
    wait_until(lambda: rows.count() == 2, 60, "the notifications", workers[0])
    wait_until(lambda: sum(w.received() for w in workers) >= 10, 30, "every generation task")

    wait_until(
        lambda: not rows.exclude(email_status="sent").exists(), 60, "the e-mails", workers[0]
    )
    # And the same e-mails five times more each, for the two workers to compete for.
    for notification_id in rows.values_list("pk", flat=True):
        for _ in range(5):
            send_notification_email.delay(notification_id)
    wait_until(
        lambda: not rows.exclude(email_status="sent").exists(), 60, "the e-mails", workers[0]
    )
    wait_until(lambda: sum(w.received() for w in workers) >= 22, 30, "every sending task")
    time.sleep(1)  # the last tasks finish
    assert rows.count() == 2
    assert set(rows.values_list("email_attempts", flat=True)) == {1}
    printed = sum(w.output().count("Subject: New incident") for w in workers)
    assert printed == 2
