"""Anonymous evidence carries no exact time and no sequence that orders it against named evidence,
for every viewer who may not know who reported it (DESIGN.md, "Anonymity must survive arithmetic").

The attack: Acme's anonymous report was stamped 10:17:03.35, 0.65 s before Acme's named report, so
the supplier could pair them. Here it sees the anonymous one as "10:00 to 10:59" wherever it looks.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import Attachment, Incident, IncidentEvent, Post
from incidents.presenters import event_time, evidence_view
from incidents.selectors import incident_evidence, incident_timeline
from integrations.models import WebhookDelivery
from integrations.services import (
    api_key_issue,
    webhook_events_dispatch,
    webhook_subscription_create,
)
from suppliers.models import User
from supplierwatch.viewers import viewer_of
from tests.api.conftest import Keys, strings_in
from tests.factories import BuyerMembershipFactory, OrganizationFactory, defect_category
from tests.helpers import png

pytestmark = pytest.mark.django_db

CRACKED = "Half the housings are cracked and out of spec, unacceptable."
ANONYMOUS_AT = datetime(2026, 11, 20, 10, 17, 3, 350_000, tzinfo=UTC)
# What must never reach the supplier: the anonymous report's minute and second.
EXACT = "10:17:03"


@pytest.fixture
def report(django_capture_on_commit_callbacks, initech):
    category = defect_category()

    def _report(author: User, lot: str, visibility: str, at: datetime) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_report(
                author=author,
                supplier=initech,
                text=f"{CRACKED} ({visibility})",
                category=category,
                lot=lot,
                visibility=visibility,
                published_at=at,
            )
        post.refresh_from_db()
        return post

    return _report


@pytest.fixture
def pair(report, alice) -> Incident:
    """Acme's anonymous report, and 0.65 s later its named report of the same lot."""
    report(alice, "L-7", Post.Visibility.ANONYMOUS, ANONYMOUS_AT)
    report(alice, "L-7", Post.Visibility.NAMED, ANONYMOUS_AT + timedelta(milliseconds=650))
    return Incident.objects.get(lot="L-7")


def _key(party) -> Keys:
    field = "supplier" if hasattr(party, "website") else "organization"
    return Keys(raw={"key": api_key_issue(name="key", **{field: party}).key})


def _evidence_pages(client, incident: Incident) -> list[dict]:
    """Every page of the evidence API, one post a page, with each page's cursors decoded."""
    pages, url = [], f"/api/v1/incidents/{incident.pk}/posts/?page_size=1"
    while url:
        body = client.get(url).json()
        for link in (body["next"], body["previous"]):
            if link:
                cursor = parse_qs(urlsplit(link).query)["cursor"][0]
                position = unquote_plus(base64.b64decode(cursor).decode())
                body.setdefault("cursors", []).append(position)
        pages.append(body)
        url = body["next"]
    return pages


def test_supplier_key_reads_the_anonymous_report_to_the_hour(pair, initech):
    client = _key(initech).client("key")
    pages = _evidence_pages(client, pair)
    shown = {page["results"][0]["visibility"]: page["results"][0] for page in pages}
    assert shown["anonymous"]["published_at"] == "2026-11-20T10:00:00Z"
    assert shown["named"]["published_at"] == "2026-11-20T10:17:04Z"
    documents = [*pages, client.get(f"/api/v1/incidents/{pair.pk}/").json()]
    export = b"".join(client.get("/api/v1/incidents/export/").streaming_content).decode()
    assert [text for text in strings_in([*documents, export]) if EXACT in text] == []


def test_the_incidents_first_seen_does_not_date_the_anonymous_report(pair, initech, carol):
    body = _key(initech).client("key").get(f"/api/v1/incidents/{pair.pk}/").json()
    assert body["first_seen_at"] == "2026-11-20T10:00:00Z"
    assert body["last_seen_at"] == "2026-11-20T10:00:00Z"


def test_portal_page_shows_the_anonymous_report_to_the_hour(client, pair, carol):
    client.force_login(carol)
    page = client.get(f"/portal/incidents/{pair.pk}/").content.decode()
    assert "20 Nov 2026, 10:00–10:59" in page
    assert "20 Nov 2026 10:17" in page  # the named report, which the supplier may date
    assert EXACT not in page


@pytest.mark.parametrize("anonymous_first", [True, False])
def test_the_order_of_evidence_does_not_tell_which_came_first_within_the_hour(
    report, alice, carol, anonymous_first
):
    later = ANONYMOUS_AT + timedelta(milliseconds=650)
    anonymous_at, named_at = (ANONYMOUS_AT, later) if anonymous_first else (later, ANONYMOUS_AT)
    report(alice, "L-8", Post.Visibility.ANONYMOUS, anonymous_at)
    report(alice, "L-8", Post.Visibility.NAMED, named_at)
    viewer = viewer_of(carol)
    listed = incident_evidence(viewer=viewer, incident=Incident.objects.get(lot="L-8"))
    # Whichever came first, the named report (dated exactly) is listed before the anonymous one
    # (dated to the start of its hour).
    assert [post.visibility for post in listed] == ["named", "anonymous"]


def test_the_reporting_organization_and_operators_read_the_exact_time(pair, acme, operator):
    mine = _key(acme).client("key").get(f"/api/v1/incidents/{pair.pk}/posts/").json()
    assert "2026-11-20T10:17:03.350000Z" in [item["published_at"] for item in mine["results"]]
    listed = incident_evidence(viewer=viewer_of(operator), incident=pair)
    assert ANONYMOUS_AT in [
        evidence_view(post, viewer_of(operator)).published_at for post in listed
    ]


def test_another_buyer_reads_every_report_of_another_organization_to_the_hour(pair, bob, globex):
    body = _key(globex).client("key").get(f"/api/v1/incidents/{pair.pk}/posts/").json()
    assert {item["published_at"] for item in body["results"]} == {"2026-11-20T10:00:00Z"}


def test_the_listed_order_and_the_shown_time_follow_one_rule(pair, carol, alice, bob, operator):
    outsider = BuyerMembershipFactory(organization=OrganizationFactory(name="Hooli")).user
    for who in (carol, alice, bob, operator, outsider):
        viewer = viewer_of(who)
        for post in incident_evidence(viewer=viewer, incident=pair):
            assert post.shown_at == evidence_view(post, viewer).published_at, (who, post)


def test_a_cursor_names_no_hidden_time(pair, initech):
    for page in _evidence_pages(_key(initech).client("key"), pair):
        for cursor in page.get("cursors", []):
            assert EXACT not in cursor, cursor


# --- the timeline and the webhooks: the events that brought the reports ---------------------------


@pytest.fixture
def clock(monkeypatch):
    """Set `clock.now` to decide when the pipeline says things happened."""

    class Clock:
        now = ANONYMOUS_AT

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def arrivals(clock, django_capture_on_commit_callbacks, alice, initech):
    """Acme reports lot `lot` anonymously and by name, 0.65 s apart, in the given order."""

    def _arrive(lot: str, *visibilities: str) -> Incident:
        for step, visibility in enumerate(visibilities):
            clock.now = ANONYMOUS_AT + timedelta(milliseconds=650 * step)
            with django_capture_on_commit_callbacks(execute=True):
                services.post_report(
                    author=alice,
                    supplier=initech,
                    text=CRACKED,
                    category=defect_category(),
                    lot=lot,
                    visibility=visibility,
                )
        return Incident.objects.get(lot=lot)

    return _arrive


def _timeline(client, incident: Incident) -> list[dict]:
    return client.get(f"/api/v1/incidents/{incident.pk}/").json()["timeline"]


def test_supplier_timeline_dates_the_events_of_an_anonymous_report_to_the_hour(
    arrivals, initech, acme
):
    incident = arrivals("L-T", Post.Visibility.ANONYMOUS, Post.Visibility.NAMED)
    timeline = _timeline(_key(initech).client("key"), incident)
    assert [(entry["kind"], entry["created_at"]) for entry in timeline] == [
        ("created", "2026-11-20T10:00:00Z"),
        ("post_added", "2026-11-20T10:00:00Z"),
        ("post_added", "2026-11-20T10:17:04Z"),  # the named report's, which the supplier may date
    ]
    assert [text for text in strings_in(timeline) if EXACT in text] == []
    # Acme reported both: its own timeline is exact.
    mine = _timeline(_key(acme).client("key"), incident)
    assert mine[0]["created_at"] == "2026-11-20T10:17:03.350000Z"


@pytest.mark.parametrize(
    "order",
    [
        (Post.Visibility.ANONYMOUS, Post.Visibility.NAMED),
        (Post.Visibility.NAMED, Post.Visibility.ANONYMOUS),
    ],
)
def test_the_timeline_does_not_tell_which_report_came_first_within_the_hour(
    arrivals, initech, order
):
    incident = arrivals("L-O", *order)
    timeline = _timeline(_key(initech).client("key"), incident)
    added = [entry["created_at"] for entry in timeline if entry["kind"] == "post_added"]
    # The anonymous report's event is dated to the hour and listed first, whichever came first.
    named_at = "2026-11-20T10:17:04Z" if order[1] == "named" else "2026-11-20T10:17:03.350000Z"
    assert added == ["2026-11-20T10:00:00Z", named_at]


def test_the_portal_timeline_shows_the_anonymous_reports_event_to_the_hour(client, arrivals, carol):
    incident = arrivals("L-P", Post.Visibility.ANONYMOUS, Post.Visibility.NAMED)
    client.force_login(carol)
    page = client.get(f"/portal/incidents/{incident.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "20 Nov 2026, 10:00–10:59" in timeline
    assert EXACT not in timeline


def test_webhooks_date_the_anonymous_reports_event_to_the_hour_for_the_supplier(
    arrivals, initech, acme, django_capture_on_commit_callbacks
):
    incident = arrivals("L-W", Post.Visibility.ANONYMOUS, Post.Visibility.NAMED)
    for party in ({"supplier": initech}, {"organization": acme}):
        webhook_subscription_create(
            url="https://hooks.example/in", events=["incident.created", "incident.updated"], **party
        )
    with django_capture_on_commit_callbacks(execute=False):
        webhook_events_dispatch()
    deliveries = WebhookDelivery.objects.filter(incident_event__incident=incident)
    supplier = deliveries.filter(subscription__supplier=initech).order_by("incident_event_id")
    assert [d.payload["created_at"] for d in supplier] == [
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:17:04Z",
    ]
    assert [
        text for d in supplier for text in strings_in(d.payload["data"]["change"]) if EXACT in text
    ] == []
    own = deliveries.filter(subscription__organization=acme).order_by("incident_event_id")
    assert own[0].payload["created_at"] == "2026-11-20T10:17:03.350000Z"


def test_the_timelines_order_and_its_shown_times_follow_one_rule(
    arrivals, carol, alice, bob, operator
):
    incident = arrivals("L-R", Post.Visibility.ANONYMOUS, Post.Visibility.NAMED)
    for who in (carol, alice, bob, operator):
        viewer = viewer_of(who)
        for event in incident_timeline(viewer=viewer, incident=incident):
            assert event.shown_at == event_time(event, viewer), (who, event.kind)


def test_the_migration_describes_existing_events_by_the_reports_they_brought(arrivals, initech):
    from importlib import import_module

    migration = import_module("incidents.migrations.0007_events_record_their_reports")
    incident = arrivals("L-M", Post.Visibility.ANONYMOUS)
    events = IncidentEvent.objects.filter(incident=incident)
    recorded = {event.kind: dict(event.data) for event in events}
    for event in events:
        for key in ("buyer_reports", "unnamed_reports", "report_organization"):
            event.data.pop(key)
        event.save()
    migration.record_reports(apps, None)
    described = {event.kind: event.data for event in events.all()}
    assert described["post_added"] == recorded["post_added"]
    # An opened incident names no post: taken to have brought a report nobody may date.
    assert described["created"] == {
        "by": "pipeline",
        "buyer_reports": 1,
        "unnamed_reports": 1,
        "report_organization": None,
    }


# --- sequences: ids ----------------------------------------------------------------------------


def test_supplier_gets_no_sequential_id_of_an_anonymous_report_or_its_files(
    client, pair, carol, initech, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    for post in Post.objects.filter(source=Post.BUYER_SOURCE):
        services.attachments_add(
            post=post, files=[SimpleUploadedFile("photo.png", png(), content_type="image/png")]
        )
    body = _key(initech).client("key").get(f"/api/v1/incidents/{pair.pk}/posts/").json()
    ids = {item["visibility"]: item["id"] for item in body["results"]}
    assert ids["anonymous"] is None
    assert ids["named"] == Post.objects.get(visibility=Post.Visibility.NAMED).pk
    client.force_login(carol)
    page = client.get(f"/portal/incidents/{pair.pk}/").content.decode()
    links = re.findall(r'href="(/attachments/[^"]+)"', page)
    assert len(links) == 2
    for attachment in Attachment.objects.all():
        assert f"/attachments/{attachment.key}/" in links
        assert f"/attachments/{attachment.pk}/" not in page
        assert client.get(f"/attachments/{attachment.key}/").status_code == 200
