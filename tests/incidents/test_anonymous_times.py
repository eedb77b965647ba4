"""Anonymous evidence carries no exact time and no sequence that orders it against named evidence,
for every viewer who may not know who reported it (DESIGN.md, "Anonymity must survive arithmetic").

The attack: Acme's anonymous report was stamped 10:17:03.35, 0.65 s before Acme's named report, so
the supplier could pair them. Here it sees the anonymous one as "10:00 to 10:59" wherever it looks.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from incidents import services
from incidents.models import Incident, Post
from incidents.presenters import evidence_view
from incidents.selectors import incident_evidence
from integrations.services import api_key_issue
from suppliers.models import User
from supplierwatch.viewers import viewer_of
from tests.api.conftest import Keys, strings_in
from tests.factories import BuyerMembershipFactory, OrganizationFactory, defect_category

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
                body.setdefault("cursors", []).append(base64.b64decode(cursor).decode())
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
