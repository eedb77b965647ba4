"""The evidence of a long incident, page by page, on the buyer's and the portal's incident pages:
newest first, the next page the next evidence, every page as the visibility rules say, and a
page's cost the same whatever the incident's length (its length is the stored counters').

The incident: 30 public posts an hour apart, and among them Acme's (alice's) private, anonymous
and named reports and Globex's (bob's) private report. Carol answers for Initech.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Post
from incidents.services.processing import incidents_recount
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, PublicPostFactory

pytestmark = pytest.mark.django_db

PUBLIC_POSTS = 30
PER_PAGE = 20  # both pages' evidence_per_page
ACME_PRIVATE = "Acme only: lot L9 housings cracked"
ACME_ANONYMOUS = "Lot L9 housings cracked, anonymously"
ACME_NAMED = "Lot L9 housings cracked, by name"
GLOBEX_PRIVATE = "Globex only: lot L9 seals leaking"


def _public_text(n: int) -> str:
    return f"public post number {n:02d} about cracked housings"


def _report(user, visibility: str, text: str, supplier, published_at) -> Post:
    return BuyerPostFactory(
        organization=user.party.organization,
        author=user,
        supplier=supplier,
        visibility=visibility,
        text=text,
        published_at=published_at,
        po_number=f"PO-{user.party.organization.name.upper()}-1",
    )


def _long_incident(initech, alice, bob, public_posts: int = PUBLIC_POSTS) -> Incident:
    alice.last_name = "Archer"
    alice.save()
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    incident = IncidentFactory(supplier=initech, title="Cracked housings, lot L9")
    # Public post n is n hours old: post 00 is the newest.
    posts = [
        PublicPostFactory(text=_public_text(n), published_at=now - timedelta(hours=n))
        for n in range(public_posts)
    ]
    # The reports sit among them: the anonymous and named ones on the second page.
    posts += [
        _report(alice, "private", ACME_PRIVATE, initech, now - timedelta(hours=2, minutes=10)),
        _report(alice, "anonymous", ACME_ANONYMOUS, initech, now - timedelta(hours=22, minutes=5)),
        _report(alice, "named", ACME_NAMED, initech, now - timedelta(hours=23, minutes=5)),
        _report(bob, "private", GLOBEX_PRIVATE, initech, now - timedelta(hours=3, minutes=10)),
    ]
    for post in posts:
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


def _evidence_texts(html: str) -> list[str]:
    return re.findall(r'<p class="evidence-text">(.*?)</p>', html, flags=re.S)


def _page(client, url: str, param: str, number: int) -> str:
    response = client.get(url, {param: number})
    assert response.status_code == 200
    return response.content.decode()


BUYER = ("incident-detail", "evidence")
PORTAL = ("portal-incident", "page")


@pytest.mark.parametrize(("route", "param"), [BUYER, PORTAL], ids=["buyer", "portal"])
def test_the_second_page_shows_the_next_evidence_newest_first(
    client, initech, alice, bob, carol, route, param
):
    incident = _long_incident(initech, alice, bob)
    viewer = bob if route == "incident-detail" else carol
    client.force_login(viewer)
    url = reverse(route, args=[incident.pk])
    first = _evidence_texts(_page(client, url, param, 1))
    second = _evidence_texts(_page(client, url, param, 2))

    assert len(first) == PER_PAGE
    assert first[:2] == [_public_text(0), _public_text(1)]
    assert not set(first) & set(second)
    shown = first + second
    # The public posts, newest first, wherever the reports fall among them.
    publics = [text for text in shown if text.startswith("public post")]
    assert publics == [_public_text(n) for n in range(PUBLIC_POSTS)]
    assert ACME_ANONYMOUS in second and ACME_NAMED in second
    assert second.index(ACME_ANONYMOUS) < second.index(ACME_NAMED)


def test_the_pager_links_the_pages_and_counts_from_the_stored_counters(client, initech, alice, bob):
    incident = _long_incident(initech, alice, bob)
    client.force_login(bob)
    url = reverse("incident-detail", args=[incident.pk])
    html = _page(client, url, "evidence", 1)
    # 32 shareable pieces of evidence (the stored counter), Globex's private report besides.
    assert incident.post_count == PUBLIC_POSTS + 2
    assert f"Evidence you may read ({PUBLIC_POSTS + 3})" in html
    assert "Page 1 of 2" in html
    assert 'href="?evidence=2" rel="next"' in html
    last = _page(client, url, "evidence", 2)
    assert 'href="?evidence=1" rel="prev"' in last
    assert len(_evidence_texts(last)) == PUBLIC_POSTS + 3 - PER_PAGE
    # A page past the end is the last page, as elsewhere.
    assert _evidence_texts(_page(client, url, "evidence", 9)) == _evidence_texts(last)


def test_portal_pager_uses_the_shared_pager(client, initech, alice, bob, carol):
    incident = _long_incident(initech, alice, bob)
    client.force_login(carol)
    html = _page(client, reverse("portal-incident", args=[incident.pk]), "page", 1)
    assert f"({PUBLIC_POSTS + 2})" in html
    assert 'aria-label="Pages of evidence"' in html
    assert 'href="?page=2" rel="next"' in html


def test_no_page_shows_a_buyer_another_organizations_private_report_or_anonymous_reporter(
    client, initech, alice, bob
):
    incident = _long_incident(initech, alice, bob)
    client.force_login(bob)
    url = reverse("incident-detail", args=[incident.pk])
    pages = [_page(client, url, "evidence", n) for n in (1, 2)]
    everything = "".join(pages)
    assert ACME_PRIVATE not in everything
    assert GLOBEX_PRIVATE in everything  # bob's own organization's
    for leak in ("Alice", "Archer", "alice@", "Acme", "PO-ACME"):
        assert leak not in everything
    assert ACME_ANONYMOUS in pages[1] and ACME_NAMED in pages[1]


def test_no_portal_page_shows_a_private_report_or_an_anonymous_reporter(
    client, initech, alice, bob, carol
):
    incident = _long_incident(initech, alice, bob)
    client.force_login(carol)
    url = reverse("portal-incident", args=[incident.pk])
    second = _page(client, url, "page", 2)
    everything = _page(client, url, "page", 1) + second
    assert ACME_PRIVATE not in everything and GLOBEX_PRIVATE not in everything
    anonymous = second[second.index(ACME_ANONYMOUS) - 1500 : second.index(ACME_ANONYMOUS)]
    assert "Anonymous report" in anonymous and "Alice" not in anonymous
    named = second[second.index(ACME_NAMED) - 1500 : second.index(ACME_NAMED)]
    assert "Alice Archer, Acme" in named


def _queries(client, url: str, params: dict) -> list[str]:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(("route", "param"), [BUYER, PORTAL], ids=["buyer", "portal"])
def test_an_evidence_page_costs_the_same_queries_however_long_the_incident(
    client, initech, alice, bob, carol, route, param, django_assert_max_num_queries
):
    short = _long_incident(initech, alice, bob, public_posts=3)
    long = _long_incident(initech, alice, bob, public_posts=45)
    client.force_login(bob if route == "incident-detail" else carol)
    for incident in (short, long):  # the first visit marks follows seen; measure the second
        client.get(reverse(route, args=[incident.pk]))
    few = _queries(client, reverse(route, args=[short.pk]), {})
    first = _queries(client, reverse(route, args=[long.pk]), {})
    with django_assert_max_num_queries(len(first)):
        client.get(reverse(route, args=[long.pk]), {param: 3})
    assert len(few) == len(first)
    # Nothing counts the evidence: the pages' length is the stored counters'. The buyer's page
    # counts its own organization's private reports only, which the counters leave out (from
    # their matches' copies of their visibility and organization).
    evidence = ('FROM "incidents_post"', 'FROM "incidents_postmatch"')
    counts = [
        sql
        for sql in first
        if sql.startswith("SELECT COUNT(")
        and any(table in sql.split(" WHERE ")[0] for table in evidence)
    ]
    if route == "incident-detail":
        assert len(counts) == 1 and "'private'" in counts[0]
    else:
        assert counts == []
