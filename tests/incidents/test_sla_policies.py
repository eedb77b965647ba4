"""SLA policies and working calendars: due times come from the supplier's promise (or the default)
and, when a policy counts business hours only, from its working calendar; warnings and breaches
land at those instants; the clocks stand still while an incident waits on a buyer's answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import services
from incidents.models import (
    Incident,
    IncidentEvent,
    Post,
    Severity,
    SlaPolicy,
    WorkCalendar,
    sla_terms,
)
from incidents.presenters import incident_view, timeline_entry
from incidents.tasks import record_sla_alerts
from integrations.services import api_key_issue
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.fixture
def business_hours(operator, initech) -> None:
    """High incidents: 8 business hours to a first answer, 40 to resolution; Initech works
    Monday to Friday, 9:00 to 17:00 in Berlin, closed on German public holidays."""
    services.sla_default_policy_save(
        actor=operator,
        severity=Severity.HIGH,
        first_answer_hours=8,
        resolution_hours=40,
        business_hours_only=True,
    )
    services.work_calendar_save(
        actor=operator,
        supplier=initech,
        time_zone="Europe/Berlin",
        working_days=[0, 1, 2, 3, 4],
        opens=time(9),
        closes=time(17),
        country="DE",
    )


def opened(supplier, at: datetime, severity: int = Severity.HIGH) -> Incident:
    with time_machine.travel(at, tick=False):
        incident = IncidentFactory(supplier=supplier, severity=severity, post_count=1)
        incident.start_sla(at)
        incident.save()
    return incident


def alerts(incident: Incident) -> list[tuple[str, str]]:
    events = incident.events.filter(kind__in=IncidentEvent.SLA_KINDS).order_by("pk")
    return [(event.kind, event.data["promise"]) for event in events]


# --- the default policy ---------------------------------------------------------------------------


def test_the_default_policy_keeps_the_promises_that_were_fixed_in_code(initech):
    assert SlaPolicy.objects.filter(supplier=None).count() == 4
    terms = sla_terms(initech.pk, Severity.CRITICAL)
    assert (terms.first_answer, terms.resolution) == (timedelta(hours=4), timedelta(days=3))
    incident = opened(initech, datetime(2026, 12, 4, 15, 20, tzinfo=UTC), Severity.CRITICAL)
    # Every hour counts: the weekend too.
    assert incident.acknowledge_due_at == datetime(2026, 12, 4, 20, tzinfo=UTC)
    assert incident.acknowledge_warn_at == datetime(2026, 12, 4, 19, tzinfo=UTC)


# --- business hours -------------------------------------------------------------------------------


def test_business_hours_due_times_skip_the_weekend(business_hours, initech):
    # Friday 15:20 in Berlin: the clock starts at 16:00; one hour on Friday, seven on Monday.
    incident = opened(initech, berlin(2026, 12, 4, 15, 20))
    assert incident.acknowledge_due_at == berlin(2026, 12, 7, 16)
    assert incident.acknowledge_warn_at == berlin(2026, 12, 7, 14)
    # 40 hours: Friday 1, Monday to Thursday 32, Friday 7.
    assert incident.resolve_due_at == berlin(2026, 12, 11, 16)


def test_business_hours_due_times_skip_a_public_holiday(business_hours, initech):
    # Christmas Day 2026 is a Friday and a public holiday in Germany.
    incident = opened(initech, berlin(2026, 12, 24, 16))
    assert incident.acknowledge_due_at == berlin(2026, 12, 28, 16)


def test_other_severities_keep_counting_every_hour(business_hours, initech):
    incident = opened(initech, berlin(2026, 12, 4, 16), Severity.CRITICAL)
    assert incident.acknowledge_due_at == berlin(2026, 12, 4, 20)


def test_without_a_calendar_business_hours_are_weekdays_nine_to_five_utc(operator, umbrella):
    services.sla_default_policy_save(
        actor=operator,
        severity=Severity.HIGH,
        first_answer_hours=8,
        resolution_hours=40,
        business_hours_only=True,
    )
    incident = opened(umbrella, datetime(2026, 12, 4, 16, tzinfo=UTC))
    assert incident.acknowledge_due_at == datetime(2026, 12, 7, 16, tzinfo=UTC)


def test_warning_and_breach_land_at_the_calendars_instants(business_hours, initech):
    incident = opened(initech, berlin(2026, 12, 4, 15, 20))
    second = timedelta(seconds=1)
    for moment, expected in (
        (berlin(2026, 12, 5, 12), []),  # Saturday: the clock stands still
        (berlin(2026, 12, 7, 14) - second, []),
        (berlin(2026, 12, 7, 14), [("sla_warning", "first_answer")]),
        (berlin(2026, 12, 7, 16) - second, [("sla_warning", "first_answer")]),
        (
            berlin(2026, 12, 7, 16),
            [("sla_warning", "first_answer"), ("sla_breached", "first_answer")],
        ),
    ):
        with time_machine.travel(moment, tick=False):
            record_sla_alerts()
        assert alerts(incident) == expected, moment


# --- a supplier's own promise ---------------------------------------------------------------------


def test_a_supplier_promises_faster_and_its_incidents_get_its_due_times(ivy, initech):
    services.sla_promises_save(
        actor=ivy,
        supplier=initech,
        promises={
            Severity.CRITICAL: {"first_answer_hours": 2, "resolution_hours": 48},
            Severity.LOW: None,
        },
    )
    incident = opened(initech, datetime(2026, 12, 1, 9, tzinfo=UTC), Severity.CRITICAL)
    assert incident.acknowledge_due_at == datetime(2026, 12, 1, 11, tzinfo=UTC)
    assert incident.resolve_due_at == datetime(2026, 12, 3, 9, tzinfo=UTC)
    assert sla_terms(initech.pk, Severity.LOW).source == "default"


def test_a_supplier_promise_looser_than_the_default_is_refused_naming_the_field(ivy, initech):
    with pytest.raises(ApplicationError) as refused:
        services.sla_promises_save(
            actor=ivy,
            supplier=initech,
            promises={
                Severity.CRITICAL: {"first_answer_hours": 2, "resolution_hours": 48},
                Severity.HIGH: {"first_answer_hours": 25, "resolution_hours": 100},
            },
        )
    assert refused.value.field == "high_first_answer_hours"
    assert "at most 24 hours" in refused.value.message
    assert not SlaPolicy.objects.filter(supplier=initech).exists()  # all or nothing


def test_business_hours_only_is_looser_than_a_default_that_counts_every_hour(ivy, initech):
    with pytest.raises(ApplicationError) as refused:
        services.sla_promises_save(
            actor=ivy,
            supplier=initech,
            promises={
                Severity.LOW: {
                    "first_answer_hours": 120,
                    "resolution_hours": 720,
                    "business_hours_only": True,
                }
            },
        )
    assert refused.value.field == "low_business_hours_only"


def test_a_responder_cannot_set_the_suppliers_promise(carol, initech):
    with pytest.raises(ApplicationError) as refused:
        services.sla_promises_save(actor=carol, supplier=initech, promises={})
    assert refused.value.code == "forbidden"


def test_a_promise_the_default_has_since_overtaken_no_longer_holds(operator, ivy, initech):
    services.sla_promises_save(
        actor=ivy,
        supplier=initech,
        promises={Severity.HIGH: {"first_answer_hours": 20, "resolution_hours": 100}},
    )
    assert sla_terms(initech.pk, Severity.HIGH).first_answer == timedelta(hours=20)
    services.sla_default_policy_save(
        actor=operator,
        severity=Severity.HIGH,
        first_answer_hours=12,
        resolution_hours=168,
        business_hours_only=False,
    )
    assert sla_terms(initech.pk, Severity.HIGH).first_answer == timedelta(hours=12)


# --- the working calendar -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "Not a time zone"),
        ("country", "XX", "No public holidays are known"),
        ("subdivision", "ZZ", "Not a subdivision of DE"),
        ("closes", "08:00", "close after it opens"),
    ],
)
def test_an_invalid_calendar_is_refused_naming_the_field(ivy, initech, field, value, message):
    values = {
        "time_zone": "Europe/Berlin",
        "working_days": [0, 1, 2, 3, 4],
        "opens": "09:00",
        "closes": "17:00",
        "country": "DE",
        "subdivision": "",
    }
    values[field] = value
    with pytest.raises(ApplicationError) as refused:
        services.work_calendar_save(actor=ivy, supplier=initech, **values)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not WorkCalendar.objects.exists()


# --- waiting on the buyer -------------------------------------------------------------------------


@pytest.fixture
def reported(initech, acme, alice) -> Incident:
    """A medium incident Acme reported anonymously, opened on Tuesday 1 December at 9:00 UTC:
    first answer due Friday 9:00, resolution due 15 December 9:00."""
    incident = opened(initech, datetime(2026, 12, 1, 9, tzinfo=UTC), Severity.MEDIUM)
    post = BuyerPostFactory(
        organization=acme, author=alice, supplier=initech, visibility=Post.Visibility.ANONYMOUS
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    return incident


def test_asking_the_buyer_pauses_the_clock_and_the_reply_pushes_the_due_times(
    reported, carol, alice
):
    resolve_due = reported.resolve_due_at
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False):
        services.incident_respond(
            incident=reported, author=carol, body="Which lot number?", waits_for_buyer=True
        )
    reported.refresh_from_db()
    assert reported.waiting_on_buyer
    assert reported.sla_paused_at == datetime(2026, 12, 2, 10, tzinfo=UTC)
    # Past the due time while waiting: not overdue, and no breach is recorded.
    late = resolve_due + timedelta(days=1)
    assert not reported.is_overdue(late)
    assert not Incident.objects.overdue(late).filter(pk=reported.pk).exists()
    with time_machine.travel(late, tick=False):
        record_sla_alerts()
    assert alerts(reported) == []

    # Alice answers three days and six hours later: the resolution moves on by as much.
    with time_machine.travel(datetime(2026, 12, 5, 16, tzinfo=UTC), tick=False):
        services.incident_reply(incident=reported, author=alice, body="Lot L2291.")
    reported.refresh_from_db()
    assert not reported.waiting_on_buyer
    assert reported.resolve_due_at == resolve_due + timedelta(days=3, hours=6)
    kinds = list(reported.events.values_list("kind", flat=True))
    assert IncidentEvent.Kind.SLA_PAUSED in kinds and IncidentEvent.Kind.SLA_RESUMED in kinds


def test_time_waiting_on_the_buyer_is_not_in_the_time_to_resolve(reported, carol, alice):
    """Started 1 December 9:00; waiting on the buyer from 2 December 10:00 to 5 December 16:00
    (3 days 6 hours); resolved 8 December 9:00: 7 days on the clock, 3 days 18 hours the
    supplier's."""
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False):
        services.incident_respond(
            incident=reported, author=carol, body="Which lot number?", waits_for_buyer=True
        )
    with time_machine.travel(datetime(2026, 12, 5, 16, tzinfo=UTC), tick=False):
        services.incident_reply(incident=reported, author=alice, body="Lot L2291.")
    with time_machine.travel(datetime(2026, 12, 8, 9, tzinfo=UTC), tick=False):
        services.incident_resolve(incident=reported, actor=carol, note="Replaced.")
    reported.refresh_from_db()
    assert reported.sla_paused_for == timedelta(days=3, hours=6)
    assert reported.time_to_resolution == timedelta(days=3, hours=18)


def test_resolving_while_waiting_leaves_the_wait_out_too(reported, carol):
    with time_machine.travel(datetime(2026, 12, 1, 11, tzinfo=UTC), tick=False):
        services.incident_respond(
            incident=reported, author=carol, body="Which lot number?", waits_for_buyer=True
        )
    with time_machine.travel(datetime(2026, 12, 3, 11, tzinfo=UTC), tick=False):
        services.incident_resolve(incident=reported, actor=carol, note="Found it ourselves.")
    reported.refresh_from_db()
    assert reported.time_to_resolution == timedelta(hours=2)


def test_the_pause_counts_working_time_under_business_hours(business_hours, initech, carol, alice):
    incident = opened(initech, berlin(2026, 12, 7, 9))  # Monday 9:00: resolution due Friday 17:00
    post = BuyerPostFactory(
        organization=alice.membership.organization, author=alice, supplier=initech
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    assert incident.resolve_due_at == berlin(2026, 12, 11, 17)
    with time_machine.travel(berlin(2026, 12, 8, 16), tick=False):
        services.incident_respond(
            incident=incident, author=carol, body="Photos please?", waits_for_buyer=True
        )
    # Answered Wednesday 10:00: 2 working hours stood still (Tuesday 16-17, Wednesday 9-10).
    with time_machine.travel(berlin(2026, 12, 9, 10), tick=False):
        services.incident_reply(incident=incident, author=alice, body="Attached.")
    incident.refresh_from_db()
    assert incident.resolve_due_at == berlin(2026, 12, 14, 11)


def test_everyone_reads_that_the_incident_waits_on_the_buyer(reported, carol, alice, bob):
    services.incident_respond(
        incident=reported, author=carol, body="Which lot?", waits_for_buyer=True
    )
    reported.refresh_from_db()
    for person in (alice, bob, carol):
        view = incident_view(reported, viewer_of(person))
        assert view.waiting_on_buyer
    paused = reported.events.get(kind=IncidentEvent.Kind.SLA_PAUSED)
    sentence = timeline_entry(paused, viewer_of(alice), "Initech").text
    assert "clock is paused" in sentence
    services.incident_reply(incident=reported, author=alice, body="L1")
    resumed = reported.events.get(kind=IncidentEvent.Kind.SLA_RESUMED)
    entry = timeline_entry(resumed, viewer_of(carol), "Initech")
    # The supplier does not learn which organization answered from the clock's event.
    assert entry.actor == "supplierwatch" and "acme" not in entry.text.lower()


def test_an_answer_without_the_question_mark_leaves_the_clock_running(reported, carol):
    services.incident_respond(incident=reported, author=carol, body="We are on it.")
    reported.refresh_from_db()
    assert not reported.waiting_on_buyer
    assert not reported.events.filter(kind=IncidentEvent.Kind.SLA_PAUSED).exists()


def test_resolving_ends_the_wait(reported, carol):
    services.incident_respond(incident=reported, author=carol, body="Lot?", waits_for_buyer=True)
    services.incident_resolve(incident=reported, actor=carol)
    reported.refresh_from_db()
    assert reported.sla_paused_at is None


def test_the_api_shows_the_paused_state_and_takes_the_question_mark(reported, initech):
    client = APIClient()
    key = api_key_issue(name="QMS", supplier=initech, can_write=True).key
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    url = f"/api/v1/incidents/{reported.pk}/"
    assert client.get(url).json()["waiting_on_buyer"] is False
    answered = client.post(
        f"{url}responses/", {"body": "Which lot?", "waits_for_buyer": True}, format="json"
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["waits_for_buyer"] is True
    body = client.get(url).json()
    assert body["waiting_on_buyer"] is True and body["sla_paused_at"]


# --- pages ----------------------------------------------------------------------------------------


def test_a_supplier_admin_sets_the_calendar_on_the_settings_page(client, ivy, initech):
    client.force_login(ivy)
    url = reverse("portal-settings")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "part": "calendar",
            "time_zone": "Europe/Berlin",
            "working_days": ["0", "1", "2", "3", "4"],
            "opens": "08:00",
            "closes": "16:30",
            "country": "de",
            "subdivision": "by",
        },
    )
    assert response.status_code == 302
    calendar = WorkCalendar.objects.get(supplier=initech)
    assert (calendar.country, calendar.subdivision, calendar.closes) == ("DE", "BY", time(16, 30))


def test_an_invalid_time_zone_on_the_settings_page_is_a_form_error(client, ivy):
    client.force_login(ivy)
    response = client.post(
        reverse("portal-settings"),
        {
            "part": "calendar",
            "time_zone": "Europe/Atlantis",
            "working_days": ["0"],
            "opens": "09:00",
            "closes": "17:00",
        },
    )
    assert response.status_code == 400
    assert "Not a time zone of the IANA database" in response.content.decode()
    assert not WorkCalendar.objects.exists()


def test_a_looser_promise_on_the_settings_page_is_a_form_error(client, ivy, initech):
    client.force_login(ivy)
    response = client.post(
        reverse("portal-settings"),
        {"part": "promises", "critical_first_answer_hours": "6", "low_resolution_hours": "100"},
    )
    assert response.status_code == 400
    assert "Critical: The time to first answer may be at most 4 hours" in (
        response.content.decode()
    )
    assert not SlaPolicy.objects.filter(supplier=initech).exists()


def test_only_the_suppliers_admins_get_the_settings_page(client, carol, alice):
    for person in (carol, alice):
        client.force_login(person)
        assert client.get(reverse("portal-settings")).status_code == 403


def test_buyers_see_the_suppliers_promise_on_its_page(client, ivy, alice, initech):
    services.sla_promises_save(
        actor=ivy,
        supplier=initech,
        promises={Severity.CRITICAL: {"first_answer_hours": 2, "resolution_hours": 48}},
    )
    client.force_login(alice)
    html = client.get(reverse("supplier-detail", args=[initech.slug])).content.decode()
    assert "Service promise (SLA)" in html
    assert "2 hours" in html and "2 days" in html and "<strong>the supplier</strong>" in html


def test_the_answer_form_offers_waiting_for_the_buyer(client, carol, reported):
    client.force_login(carol)
    url = reverse("portal-incident", args=[reported.pk])
    assert "Waiting for the buyer" in client.get(url).content.decode()
    response = client.post(
        reverse("portal-incident-action", args=[reported.pk, "respond"]),
        {"body": "Which lot?", "waits_for_buyer": "on"},
    )
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.waiting_on_buyer
    assert "Waiting on buyer" in client.get(url).content.decode()


def test_an_operator_edits_the_default_policy_in_the_admin(op):
    policy = SlaPolicy.objects.get(supplier=None, severity=Severity.LOW)
    url = reverse("admin:incidents_slapolicy_change", args=[policy.pk])
    refused = op.post(
        url, {"first_answer_hours": "10", "resolution_hours": "5", "business_hours_only": "on"}
    )
    assert refused.status_code == 200 and "cannot be shorter" in refused.content.decode()
    saved = op.post(
        url, {"first_answer_hours": "48", "resolution_hours": "480", "business_hours_only": "on"}
    )
    assert saved.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_answer_hours, policy.business_hours_only) == (48, True)


def test_an_operator_cannot_save_an_invalid_calendar_in_the_admin(op, initech):
    response = op.post(
        reverse("admin:incidents_workcalendar_add"),
        {
            "supplier": initech.pk,
            "time_zone": "Nowhere/Land",
            "working_days": ["0"],
            "opens": "09:00",
            "closes": "17:00",
        },
    )
    assert response.status_code == 200 and "Not a time zone" in response.content.decode()
    assert not WorkCalendar.objects.exists()


def test_operators_read_a_suppliers_own_promise_but_do_not_change_it(op, ivy, initech):
    services.sla_promises_save(
        actor=ivy,
        supplier=initech,
        promises={Severity.CRITICAL: {"first_answer_hours": 2, "resolution_hours": 48}},
    )
    own = SlaPolicy.objects.get(supplier=initech)
    url = reverse("admin:incidents_slapolicy_change", args=[own.pk])
    assert op.get(url).status_code == 200
    assert op.post(url, {"first_answer_hours": "1", "resolution_hours": "1"}).status_code == 403
    own.refresh_from_db()
    assert own.first_answer_hours == 2
    assert SlaPolicy.objects.get(supplier=None, severity=Severity.CRITICAL).first_answer_hours == 4


def test_a_report_opens_an_incident_due_by_the_suppliers_business_hours(
    business_hours, django_capture_on_commit_callbacks, initech, alice
):
    """Through the pipeline: a high report on Friday evening in Berlin is due Monday afternoon."""
    friday_evening = time_machine.travel(berlin(2026, 12, 4, 18, 40), tick=False)
    with friday_evening, django_capture_on_commit_callbacks(execute=True):
        post = services.post_report(
            author=alice,
            supplier=initech,
            text="Cracked housings on arrival, out of spec.",
            category=defect_category(),
            lot="L-7",
            severity=Severity.HIGH,
        )
    incident = Incident.objects.get(matches__post=post)
    # The clock starts at 19:00, after hours: 8 working hours on Monday, 9:00 to 17:00.
    assert incident.acknowledge_due_at == berlin(2026, 12, 7, 17)
    assert incident.acknowledge_warn_at == berlin(2026, 12, 7, 15)
