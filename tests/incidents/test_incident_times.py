"""The incident's own times do not date its anonymous evidence (DESIGN.md, "Anonymity must survive
arithmetic"): created, updated and last activity are shown to the hour to everyone but operators,
lists are ordered, paged and filtered by those shown times, and the SLA clock starts at a whole hour.

The attack: Acme's anonymous report opened an incident at 10:23:44.10 and its named report followed
0.65 s later. The supplier saw the named report at 10:23:44.75 and the incident created at
10:23:44.10 (and due times of created_at + N hours), so the anonymous report was evidently Acme's.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import SLA_ACKNOWLEDGE, SLA_RESOLVE, Incident, Post, Severity
from incidents.presenters import incident_view
from integrations.models import WebhookDelivery
from integrations.services import (
    api_key_issue,
    webhook_events_dispatch,
    webhook_subscription_create,
)
from suppliers.models import User
from supplierwatch.viewers import viewer_of
from tests.api.conftest import Keys, strings_in
from tests.factories import defect_category

pytestmark = pytest.mark.django_db

OPENED_AT = datetime(2026, 11, 20, 10, 23, 44, 100_000, tzinfo=UTC)
NAMED_AT = OPENED_AT + timedelta(milliseconds=650)
# What must never reach the supplier: the anonymous report's exact time, in ISO 8601 or on a page.
EXACT = ("10:23:44.1", "10:23:44Z", "10:23:44+")
HOUR = "2026-11-20T10:00:00Z"


def _leaks(texts) -> list[str]:
    return [text for text in texts if any(exact in text for exact in EXACT)]


@pytest.fixture
def clock(monkeypatch):
    """Set `clock.now` to decide when the pipeline says things happened."""

    class Clock:
        now = OPENED_AT

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def report(clock, django_capture_on_commit_callbacks, initech):
    """`who` reports lot `lot` at `at`, with `visibility`."""

    def _report(who: User, lot: str, visibility: str, at: datetime) -> Incident:
        clock.now = at
        with django_capture_on_commit_callbacks(execute=True):
            services.post_report(
                author=who,
                supplier=initech,
                text="Half the housings are cracked and out of spec.",
                category=defect_category(),
                lot=lot,
                visibility=visibility,
            )
        return Incident.objects.get(lot=lot)

    return _report


@pytest.fixture
def pair(report, alice) -> Incident:
    """Acme's anonymous report opens the incident; its named report follows 0.65 s later."""
    report(alice, "L-1", Post.Visibility.ANONYMOUS, OPENED_AT)
    return report(alice, "L-1", Post.Visibility.NAMED, NAMED_AT)


def _key(party) -> Keys:
    field = "supplier" if hasattr(party, "website") else "organization"
    return Keys(raw={"key": api_key_issue(name="key", **{field: party}).key})


def test_the_incident_was_opened_by_the_anonymous_report_at_its_exact_time(pair, operator):
    # The premise: operators read the exact times, which would date the anonymous report.
    view = incident_view(pair, viewer_of(operator))
    assert view.created_at == OPENED_AT
    assert view.last_activity_at == NAMED_AT


def test_supplier_key_reads_the_incidents_times_to_the_hour(pair, initech):
    client = _key(initech).client("key")
    detail = client.get(f"/api/v1/incidents/{pair.pk}/").json()
    (listed,) = client.get("/api/v1/incidents/").json()["results"]
    for body in (detail, listed):
        times = [body[name] for name in ("created_at", "updated_at", "last_activity_at")]
        assert times == [HOUR, HOUR, HOUR]
        assert _leaks(strings_in(body)) == []


def test_the_sla_due_times_count_from_the_next_whole_hour(pair, initech):
    body = _key(initech).client("key").get(f"/api/v1/incidents/{pair.pk}/").json()
    # Opened at 10:23:44.10 with a medium severity: due 72 hours and 14 days after 11:00.
    assert body["acknowledge_due_at"] == "2026-11-23T11:00:00Z"
    assert body["resolve_due_at"] == "2026-12-04T11:00:00Z"


def test_the_supplier_export_dates_the_incident_to_the_hour(pair, initech):
    response = _key(initech).client("key").get("/api/v1/incidents/export/")
    export = b"".join(response.streaming_content).decode()
    assert "2026-11-20T10:00:00+00:00" in export
    assert _leaks([export]) == []


def test_the_supplier_webhooks_date_the_incident_to_the_hour(
    pair, initech, acme, django_capture_on_commit_callbacks
):
    for party in ({"supplier": initech}, {"organization": acme}):
        webhook_subscription_create(
            url="https://hooks.example/in", events=["incident.created", "incident.updated"], **party
        )
    with django_capture_on_commit_callbacks(execute=False):
        webhook_events_dispatch()
    deliveries = WebhookDelivery.objects.filter(incident_event__incident=pair)
    supplier = [d.payload for d in deliveries.filter(subscription__supplier=initech)]
    assert supplier
    for payload in supplier:
        incident = payload["data"]["incident"]
        assert [incident["created_at"], incident["last_activity_at"]] == [HOUR, HOUR]
    assert _leaks(strings_in(supplier)) == []


def test_the_portal_shows_the_incident_to_the_hour(client, pair, carol):
    client.force_login(carol)
    for url in (f"/portal/incidents/{pair.pk}/", "/portal/incidents/", "/portal/"):
        page = client.get(url).content.decode()
        assert _leaks([page]) == [], url
    listed = client.get("/portal/incidents/").content.decode()
    assert "20 Nov 2026, 10:00–10:59" in listed
    assert " ago</time>" not in listed  # "12 minutes ago" would date it to the minute


def test_buyer_pages_show_another_organizations_incident_to_the_hour(client, pair, bob, initech):
    client.force_login(bob)
    for url in ("/buyer/", f"/suppliers/{initech.slug}/", f"/incidents/{pair.pk}/"):
        page = client.get(url).content.decode()
        assert _leaks([page]) == [], url
    assert "20 Nov 2026, 10:00–10:59" in client.get("/buyer/").content.decode()


def test_supplier_actions_keep_their_exact_times(pair, initech, carol, clock):
    clock.now = datetime(2026, 11, 20, 11, 5, 12, 300_000, tzinfo=UTC)
    services.incident_acknowledge(incident=pair, actor=carol)
    body = _key(initech).client("key").get(f"/api/v1/incidents/{pair.pk}/").json()
    # Its own work dates nothing but itself; the activity it moved is shown as every other.
    assert body["acknowledged_at"] == "2026-11-20T11:05:12.300000Z"
    assert body["last_activity_at"] == "2026-11-20T11:00:00Z"


# --- finding the time by asking: updated_since, ordering and cursors ----------------------------


@pytest.mark.parametrize(
    "since",
    [
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:23:44.000Z",
        "2026-11-20T10:23:44.200Z",
        "2026-11-20T10:59:59.999Z",
    ],
)
def test_updated_since_tells_a_key_no_more_than_the_hour(report, alice, initech, since):
    incident = report(alice, "L-2", Post.Visibility.ANONYMOUS, OPENED_AT)
    client = _key(initech).client("key")
    found = client.get("/api/v1/incidents/", {"updated_since": since}).json()["results"]
    # Exact times would answer "no" after 10:23:44.10: a bisection to the microsecond.
    assert [item["id"] for item in found] == [incident.pk]
    later = client.get("/api/v1/incidents/", {"updated_since": "2026-11-20T11:00:00Z"}).json()
    assert later["results"] == []


def test_a_sync_from_the_time_it_last_ran_misses_no_change(report, alice, bob, initech):
    # The last sync ran at 10:30; a change at 10:45 is shown as 10:00, and still found.
    report(bob, "L-3", Post.Visibility.NAMED, datetime(2026, 11, 20, 10, 45, tzinfo=UTC))
    found = (
        _key(initech)
        .client("key")
        .get("/api/v1/incidents/", {"updated_since": "2026-11-20T10:30:00Z"})
        .json()["results"]
    )
    assert [item["lot"] for item in found] == ["L-3"]


@pytest.mark.parametrize("anonymous_last", [True, False])
@pytest.mark.parametrize("ordering", ["last_activity_at", "-last_activity_at", "created_at"])
def test_the_order_of_incidents_does_not_tell_when_within_the_hour(
    report, alice, bob, initech, anonymous_last, ordering
):
    # Two incidents of the same hour: Acme's anonymous report and Globex's named one, in either
    # order. The list reads the same either way, and no cursor names an exact time.
    later, earlier = OPENED_AT, OPENED_AT - timedelta(minutes=20)
    report(alice, "L-A", Post.Visibility.ANONYMOUS, later if anonymous_last else earlier)
    report(bob, "L-N", Post.Visibility.NAMED, earlier if anonymous_last else later)
    client = _key(initech).client("key")
    lots, cursors, url = [], [], f"/api/v1/incidents/?page_size=1&ordering={ordering}"
    while url:
        body = client.get(url).json()
        lots += [item["lot"] for item in body["results"]]
        for link in (body["next"], body["previous"]):
            if link:
                cursor = parse_qs(urlsplit(link).query)["cursor"][0]
                cursors.append(unquote_plus(base64.b64decode(cursor).decode()))
        url = body["next"]
    # Both shown at 10:00: they keep the order in which they were filed (L-A first, its id lower).
    assert lots == (["L-N", "L-A"] if ordering.startswith("-") else ["L-A", "L-N"])
    assert _leaks(cursors) == [] and all(":20:" not in cursor for cursor in cursors)


def test_the_portal_sorts_by_the_times_it_shows(client, report, alice, bob, carol):
    report(alice, "L-A", Post.Visibility.ANONYMOUS, OPENED_AT)
    report(bob, "L-N", Post.Visibility.NAMED, OPENED_AT - timedelta(minutes=20))
    client.force_login(carol)
    for sort in ("activity", "created"):
        page = client.get("/portal/incidents/", {"sort": sort}).content.decode()
        # Newest first as shown: both 10:00, so the later-opened one (higher id) leads.
        assert page.index("lot L-N") < page.index("lot L-A"), sort


# --- the SLA clock ----------------------------------------------------------------------------


def test_the_sla_clock_starts_at_the_first_whole_hour_at_or_after_its_start():
    assert Incident.sla_clock_start(OPENED_AT) == datetime(2026, 11, 20, 11, tzinfo=UTC)
    on_the_hour = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert Incident.sla_clock_start(on_the_hour) == on_the_hour
    just_after = on_the_hour + timedelta(microseconds=1)
    assert Incident.sla_clock_start(just_after) == datetime(2026, 11, 20, 11, tzinfo=UTC)


def test_a_raised_severity_counts_from_the_whole_hour_too(pair, carol):
    services.incident_set_severity(incident=pair, actor=carol, severity=Severity.CRITICAL)
    pair.refresh_from_db()
    clock_start = datetime(2026, 11, 20, 11, tzinfo=UTC)
    assert pair.acknowledge_due_at == clock_start + SLA_ACKNOWLEDGE[Severity.CRITICAL]
    assert pair.resolve_due_at == clock_start + SLA_RESOLVE[Severity.CRITICAL]
