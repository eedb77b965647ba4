"""SLA warnings and breaches: recorded at the right instants, once per promise and SLA start, and
announced to ERPs (webhooks) as their own events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError

from incidents import services
from incidents.models import Incident, IncidentEvent, Severity, SlaAlert
from incidents.presenters import event_data, timeline_entry
from incidents.tasks import record_sla_alerts
from integrations.models import WebhookSubscription
from integrations.services.dispatch import event_type_for
from supplierwatch.viewers import viewer_of
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 2, 8, 20, tzinfo=UTC)
# A critical incident opened at 08:20 counts from 09:00: first answer due 13:00, resolution in 3 days.
CLOCK = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ANSWER_DUE = CLOCK + timedelta(hours=4)
RESOLUTION_DUE = CLOCK + timedelta(days=3)
SECOND = timedelta(seconds=1)


@pytest.fixture
def incident(initech) -> Incident:
    incident = IncidentFactory(supplier=initech, severity=Severity.CRITICAL, post_count=1)
    incident.start_sla(OPENED)
    incident.save()
    return incident


def alerts(incident: Incident) -> list[tuple[str, str]]:
    events = incident.events.filter(kind__in=IncidentEvent.SLA_KINDS).order_by("pk")
    return [(event.kind, event.data["promise"]) for event in events]


WARNED = ("sla_warning", "first_answer")
BREACHED = ("sla_breached", "first_answer")


def test_the_warning_comes_when_a_quarter_of_the_promise_is_left(incident):
    assert settings.SW_SLA_WARNING_FRACTION == 0.25
    services.sla_alerts_record(now=ANSWER_DUE - timedelta(hours=1) - SECOND)
    assert alerts(incident) == []
    services.sla_alerts_record(now=ANSWER_DUE - timedelta(hours=1))
    assert alerts(incident) == [WARNED]


def test_the_breach_comes_at_the_due_time(incident):
    services.sla_alerts_record(now=ANSWER_DUE - timedelta(hours=1))
    services.sla_alerts_record(now=ANSWER_DUE - SECOND)
    assert alerts(incident) == [WARNED]
    services.sla_alerts_record(now=ANSWER_DUE)
    assert alerts(incident) == [WARNED, BREACHED]


def test_the_resolution_has_its_own_warning_and_breach(incident):
    window = timedelta(days=3) * 0.25
    services.sla_alerts_record(now=RESOLUTION_DUE - window - SECOND)
    assert ("sla_warning", "resolution") not in alerts(incident)
    services.sla_alerts_record(now=RESOLUTION_DUE - window)
    services.sla_alerts_record(now=RESOLUTION_DUE)
    assert alerts(incident)[-2:] == [("sla_warning", "resolution"), ("sla_breached", "resolution")]


def test_running_twice_records_each_alert_once(incident):
    at = ANSWER_DUE + timedelta(minutes=5)
    assert services.sla_alerts_record(now=at) == 1
    assert services.sla_alerts_record(now=at) == 0
    assert services.sla_alerts_record(now=at + timedelta(hours=2)) == 0
    assert alerts(incident) == [BREACHED]


def test_a_breach_found_late_comes_without_a_warning(incident):
    services.sla_alerts_record(now=ANSWER_DUE + timedelta(hours=2))
    assert alerts(incident) == [BREACHED]
    assert SlaAlert.objects.get(incident=incident).due_at == ANSWER_DUE


def test_the_database_refuses_a_second_alert_for_the_same_start(incident):
    services.sla_alerts_record(now=ANSWER_DUE)
    event = IncidentEvent.objects.create(incident=incident, kind=IncidentEvent.Kind.SLA_BREACHED)
    with pytest.raises(IntegrityError):
        SlaAlert.objects.create(
            incident=incident,
            promise=SlaAlert.Promise.FIRST_ANSWER,
            stage=SlaAlert.Stage.BREACHED,
            sla_started_at=CLOCK,
            due_at=ANSWER_DUE,
            event=event,
        )


def test_an_answered_incident_gets_no_first_answer_alerts(incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    services.sla_alerts_record(now=ANSWER_DUE + timedelta(hours=1))
    assert alerts(incident) == []


@pytest.mark.parametrize("status", [Incident.Status.RESOLVED, Incident.Status.CLOSED])
def test_a_finished_incident_gets_no_alerts(incident, status):
    Incident.objects.filter(pk=incident.pk).update(status=status)
    services.sla_alerts_record(now=RESOLUTION_DUE + timedelta(days=1))
    assert alerts(incident) == []


def test_a_reopened_incident_gets_fresh_alerts(incident):
    services.sla_alerts_record(now=ANSWER_DUE)
    reopened_at = RESOLUTION_DUE + timedelta(days=1)
    incident.refresh_from_db()
    incident.status = Incident.Status.REOPENED
    incident.start_sla(reopened_at)
    incident.save()
    services.sla_alerts_record(now=incident.acknowledge_due_at)
    assert alerts(incident).count(BREACHED) == 2


def test_each_run_takes_a_bounded_batch_and_the_next_run_the_rest(initech):
    for _ in range(3):
        overdue = IncidentFactory(supplier=initech, severity=Severity.CRITICAL, post_count=1)
        overdue.start_sla(OPENED)
        overdue.save()
    at = ANSWER_DUE
    assert services.sla_alerts_record(now=at, batch=2) == 2
    assert services.sla_alerts_record(now=at, batch=2) == 1
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.SLA_BREACHED).count() == 3


def test_the_periodic_task_records_them_every_minute(incident):
    assert settings.CELERY_BEAT_SCHEDULE["record-sla-alerts"] == {
        "task": "incidents.tasks.record_sla_alerts",
        "schedule": 60.0,
    }
    # Both of the incident's promises are long past by now: two breaches, no warnings.
    assert record_sla_alerts.delay().get() == 2
    assert record_sla_alerts.delay().get() == 0


def test_the_timeline_says_which_promise_is_due_when(incident, alice):
    services.sla_alerts_record(now=ANSWER_DUE)
    event = incident.events.get(kind=IncidentEvent.Kind.SLA_BREACHED)
    entry = timeline_entry(event, viewer_of(alice), "Initech Components")
    assert entry.text == "SLA breached: first answer was due by 2026-11-02 13:00 UTC."
    assert event_data(event, viewer_of(alice)) == {
        "promise": "first_answer",
        "due_at": "2026-11-02T13:00:00+00:00",
    }


def test_warnings_and_breaches_reach_erps_as_their_own_webhook_events(incident):
    services.sla_alerts_record(now=ANSWER_DUE - timedelta(hours=1))
    services.sla_alerts_record(now=ANSWER_DUE)
    warning, breach = incident.events.filter(kind__in=IncidentEvent.SLA_KINDS).order_by("pk")
    assert (
        event_type_for(warning) == WebhookSubscription.Event.SLA_WARNING == "incident.sla_warning"
    )
    assert event_type_for(breach) == WebhookSubscription.Event.SLA_BREACHED
