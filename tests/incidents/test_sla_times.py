"""Time to first answer and to resolution: stored when they happen, counted from the SLA clock's
start, shown on the incident pages and in the API; due times and lateness in every incident list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Severity
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory

pytestmark = pytest.mark.django_db


def started(incident: Incident, at: datetime) -> Incident:
    incident.start_sla(at)
    incident.save()
    return incident


@pytest.fixture
def incident(initech, acme, alice) -> Incident:
    """Opened an hour and a half ago: its clocks started at the whole hour after."""
    incident = IncidentFactory(supplier=initech, severity=Severity.HIGH, post_count=1)
    post = BuyerPostFactory(organization=acme, author=alice, supplier=initech)
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    return started(incident, timezone.now() - timedelta(minutes=90))


def test_the_first_answer_is_timed_from_the_clocks_start(incident, carol):
    services.incident_respond(incident=incident, author=carol, body="We are on it.")
    incident.refresh_from_db()
    assert incident.time_to_first_answer == incident.acknowledged_at - incident.sla_started_at
    # Opened 90 minutes ago, so its clock started at the whole hour 30 to 90 minutes ago.
    assert timedelta(minutes=30) <= incident.time_to_first_answer <= timedelta(minutes=90)
    assert incident.time_to_resolution is None


def test_later_actions_do_not_move_the_time_to_first_answer(incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    incident.refresh_from_db()
    first = incident.time_to_first_answer
    services.incident_start_investigation(incident=incident, actor=carol)
    services.incident_resolve(incident=incident, actor=carol)
    incident.refresh_from_db()
    assert incident.time_to_first_answer == first
    assert incident.time_to_resolution == incident.resolved_at - incident.sla_started_at


def test_resolving_at_once_is_the_first_answer_too(incident, carol):
    services.incident_resolve(incident=incident, actor=carol)
    incident.refresh_from_db()
    assert incident.time_to_first_answer == incident.time_to_resolution is not None


def test_an_answer_before_the_clock_starts_took_no_time(initech, carol):
    # Reported at 10:20, answered at 10:40: the clock starts at 11:00.
    incident = started(
        IncidentFactory(supplier=initech, post_count=1), timezone.now() + timedelta(hours=1)
    )
    services.incident_acknowledge(incident=incident, actor=carol)
    incident.refresh_from_db()
    assert incident.acknowledged_at < incident.sla_started_at
    assert incident.time_to_first_answer == timedelta(0)


def test_a_new_sla_start_clears_the_times_of_the_last_one(incident, carol):
    services.incident_resolve(incident=incident, actor=carol)
    incident.refresh_from_db()
    started(incident, timezone.now())
    assert (incident.time_to_first_answer, incident.time_to_resolution) == (None, None)


def test_both_incident_pages_say_how_long_the_answer_took(client, incident, carol, alice):
    Incident.objects.filter(pk=incident.pk).update(
        acknowledged_at=incident.sla_started_at + timedelta(hours=2, minutes=30),
        time_to_first_answer=timedelta(hours=2, minutes=30),
        status=Incident.Status.ACKNOWLEDGED,
    )
    for person, page in [(carol, "portal-incident"), (alice, "incident-detail")]:
        client.force_login(person)
        text = client.get(reverse(page, args=[incident.pk])).content.decode()
        assert "after 2\xa0hours, 30\xa0minutes" in text, page


def test_the_portal_list_shows_what_is_due_and_marks_it_late(client, carol, initech, incident):
    late = IncidentFactory(supplier=initech, post_count=1, title="Late one")
    started(late, datetime(2026, 1, 5, 7, 30, tzinfo=UTC))
    client.force_login(carol)
    text = client.get(reverse("portal-incidents")).content.decode()
    assert f'First answer due <time datetime="{incident.acknowledge_due_at.isoformat()}' in text
    assert 'First answer was due <time datetime="2026-01-08T08:00:00+00:00">' in text
    assert text.count('<span class="badge late">overdue</span>') == 1


def test_the_buyers_tables_show_what_is_due(client, alice, initech, incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    incident.refresh_from_db()
    client.force_login(alice)
    text = client.get(reverse("supplier-detail", args=[initech.slug])).content.decode()
    assert f'Resolution due <time datetime="{incident.resolve_due_at.isoformat()}' in text


def test_operators_read_the_sla_start_and_times_in_the_admin(client, operator, incident, carol):
    services.incident_acknowledge(incident=incident, actor=carol)
    client.force_login(operator)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "SLA clock started" in text and "Time to first answer" in text


def test_an_answer_within_the_hour_of_the_report_reads_so_not_as_zero_minutes(
    client, incident, carol
):
    Incident.objects.filter(pk=incident.pk).update(
        acknowledged_at=incident.sla_started_at,
        time_to_first_answer=timedelta(0),
        status=Incident.Status.ACKNOWLEDGED,
    )
    client.force_login(carol)
    text = client.get(reverse("portal-incident", args=[incident.pk])).content.decode()
    assert "within the hour it came in" in text
    assert "0\xa0minutes" not in text
