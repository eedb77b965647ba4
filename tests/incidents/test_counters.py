"""Counters that survive arithmetic: no viewer's figures merge reports whose reporter it sees with
reports whose reporter is hidden from it (DESIGN.md, "Anonymity must survive arithmetic").

The attack: alice reports one problem by name and again anonymously. With one distinct-organization
figure, the supplier read "1 organization" and knew that the anonymous report was Acme's. Here the
supplier must not be able to tell that incident from one where the anonymous report is Globex's,
on any channel: its API key, the portal's pages, its webhooks and the CSV export.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.apps import apps

from incidents import services
from incidents.models import Incident, Post
from incidents.presenters import incident_view
from incidents.selectors import incident_list
from incidents.services.processing import incidents_recount
from integrations.models import WebhookDelivery
from integrations.services import (
    api_key_issue,
    webhook_events_dispatch,
    webhook_subscription_create,
)
from suppliers.models import User
from supplierwatch.viewers import Viewer, viewer_of
from tests.api.conftest import Keys
from tests.factories import (
    BuyerMembershipFactory,
    OrganizationFactory,
    PostMatchFactory,
    PublicPostFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

CRACKED = "Half the housings are cracked and out of spec, unacceptable."


@pytest.fixture
def report(django_capture_on_commit_callbacks, initech):
    """A buyer reports a problem of lot `lot` through the service; the commit runs the pipeline."""
    category = defect_category()

    def _report(author: User, lot: str, visibility: str) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            return services.post_report(
                author=author,
                supplier=initech,
                text=CRACKED,
                category=category,
                lot=lot,
                visibility=visibility,
            )

    return _report


@pytest.fixture
def twins(report, alice, bob) -> tuple[Incident, Incident]:
    """Two incidents the supplier must not tell apart: in `same`, alice reported by name and
    anonymously; in `other`, alice by name and bob (Globex) anonymously."""
    report(alice, "L-SAME", Post.Visibility.NAMED)
    report(alice, "L-SAME", Post.Visibility.ANONYMOUS)
    report(alice, "L-OTHER", Post.Visibility.NAMED)
    report(bob, "L-OTHER", Post.Visibility.ANONYMOUS)
    same = Incident.objects.get(lot="L-SAME")
    other = Incident.objects.get(lot="L-OTHER")
    # The stored figures do differ: only what a viewer is shown must not.
    assert (same.organization_count, other.organization_count) == (1, 2)
    return same, other


# --- the attack, channel by channel -------------------------------------------------------------


def test_supplier_key_cannot_tell_an_anonymous_report_from_a_named_organizations(twins, initech):
    client = Keys(raw={"initech": api_key_issue(name="QMS", supplier=initech).key}).client(
        "initech"
    )
    same, other = (client.get(f"/api/v1/incidents/{i.pk}/").json()["counters"] for i in twins)
    assert same == other
    assert same["named_organizations"] == 1
    assert same["anonymous_reports"] == 1
    assert "organizations" not in same and "reporters" not in same
    listed = {
        row["id"]: row["counters"] for row in client.get("/api/v1/incidents/").json()["results"]
    }
    assert listed[twins[0].pk] == listed[twins[1].pk] == same


def _counted(html: str) -> list[str]:
    """The figures of a page's counters, without its dates (tested with the times)."""
    found = re.search(r'<dl class="counters">.*?</dl>', html, re.S)
    assert found, "the counters are on the page"
    figures = re.findall(r"<div[^>]*><dt>(.*?)</dt><dd>(.*?)</dd></div>", found.group(0), re.S)
    return [f"{term}: {value}" for term, value in figures if term not in DATES]


DATES = ("First seen", "Last seen", "First answer", "Resolution")


def test_portal_pages_cannot_tell_them_apart(client, carol, twins):
    client.force_login(carol)
    same, other = (
        _counted(client.get(f"/portal/incidents/{i.pk}/").content.decode()) for i in twins
    )
    assert same == other
    assert 'Reports by name: 1 <span class="muted">from 1 organization</span>' in same
    assert not [figure for figure in same if "Buyer organizations" in figure]
    listing = client.get("/portal/incidents/").content.decode()
    cells = {}
    for incident in twins:
        row = re.search(
            rf'<a href="/portal/incidents/{incident.pk}/">.*?</td>(.*?)</tr>', listing, re.S
        )
        assert row, incident.pk
        cells[incident.pk] = [
            cell for cell in re.findall(r"<td.*?</td>", row.group(1), re.S) if "<time" not in cell
        ]
    assert cells[twins[0].pk] == cells[twins[1].pk]


def test_supplier_webhooks_cannot_tell_them_apart(
    twins, initech, django_capture_on_commit_callbacks
):
    webhook_subscription_create(
        url="https://hooks.example/in",
        events=["incident.created", "incident.updated"],
        supplier=initech,
    )
    with django_capture_on_commit_callbacks(execute=False):
        webhook_events_dispatch()
    latest = {}
    for delivery in WebhookDelivery.objects.order_by("incident_event_id"):
        incident = delivery.payload["data"]["incident"]
        latest[incident["id"]] = incident["counters"]
    assert latest[twins[0].pk] == latest[twins[1].pk]
    assert latest[twins[0].pk]["named_organizations"] == 1


def test_supplier_export_cannot_tell_them_apart(twins, initech):
    client = Keys(raw={"initech": api_key_issue(name="QMS", supplier=initech).key}).client(
        "initech"
    )
    export = b"".join(client.get("/api/v1/incidents/export/").streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(export))
    assert "organizations" not in header and "reporters" not in header
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    columns = [name for name in header if name.endswith(("posts", "reports", "organizations"))]
    same, other = (by_id[str(incident.pk)] for incident in twins)
    assert [same[c] for c in columns] == [other[c] for c in columns]
    assert same["named_organizations"] == "1"
    assert same["other_organizations"] == ""


# --- what each viewer may count -----------------------------------------------------------------


@pytest.fixture
def crowded(report, alice, bob, initech) -> Incident:
    """Acme reported by name, anonymously and privately; Globex anonymously; one public author
    posted twice."""
    report(alice, "L-9", Post.Visibility.NAMED)
    report(alice, "L-9", Post.Visibility.ANONYMOUS)
    report(alice, "L-9", Post.Visibility.PRIVATE)
    report(bob, "L-9", Post.Visibility.ANONYMOUS)
    incident = Incident.objects.get(lot="L-9")
    for _ in range(2):
        PostMatchFactory(
            post=PublicPostFactory(author_handle="plantmanager"),
            supplier=initech,
            incident=incident,
        )
    incidents_recount(incident_ids=[incident.pk], active_ids=())
    return incident


def _figures(incident: Incident, who) -> dict[str, int | None]:
    viewer = viewer_of(who)
    row = incident_list(viewer=viewer).get(pk=incident.pk)
    return vars(incident_view(row, viewer).counters)


SHARED = {"posts": 5, "public_posts": 2, "public_authors": 1, "named_reports": 1}


def test_every_viewer_counts_the_same_sums(crowded, operator, carol, alice, bob):
    for who in (operator, carol, alice, bob):
        figures = _figures(crowded, who)
        assert {name: figures[name] for name in SHARED} == SHARED, who
        assert figures["anonymous_reports"] == 2, who


def test_supplier_counts_the_organizations_it_sees_by_name_only(crowded, carol, initech):
    for who in (carol, Viewer.party(supplier_id=initech.pk)):
        figures = _figures(crowded, who)
        assert figures["named_organizations"] == 1
        assert figures["other_organizations"] is None
        assert figures["own_posts"] is None


def test_buyer_counts_other_organizations_apart_from_its_own_reports(crowded, alice, bob, acme):
    # Acme: its three reports (the private one too), and one other organization (Globex).
    for who in (alice, Viewer.party(organization_id=acme.pk)):
        figures = _figures(crowded, who)
        assert (figures["own_posts"], figures["other_organizations"]) == (3, 1)
        assert figures["named_organizations"] is None
    # Globex: its one report; Acme is the other organization, whatever its reports' visibility.
    figures = _figures(crowded, bob)
    assert (figures["own_posts"], figures["other_organizations"]) == (1, 1)


def test_a_buyer_without_reports_in_it_counts_every_organization_that_shares(crowded):
    outsider = BuyerMembershipFactory(organization=OrganizationFactory(name="Hooli")).user
    figures = _figures(crowded, outsider)
    assert (figures["own_posts"], figures["other_organizations"]) == (0, 2)


def test_a_buyer_alone_in_an_incident_counts_no_other_organization(report, alice):
    report(alice, "L-ALONE", Post.Visibility.NAMED)
    report(alice, "L-ALONE", Post.Visibility.ANONYMOUS)
    figures = _figures(Incident.objects.get(lot="L-ALONE"), alice)
    assert (figures["own_posts"], figures["other_organizations"]) == (2, 0)


def test_an_organization_with_only_private_reports_is_counted_by_nobody_else(report, alice, bob):
    report(alice, "L-P", Post.Visibility.PRIVATE)
    report(bob, "L-P", Post.Visibility.ANONYMOUS)
    incident = Incident.objects.get(lot="L-P")
    assert _figures(incident, bob)["other_organizations"] == 0
    assert _figures(incident, alice)["other_organizations"] == 1
    assert _figures(incident, alice)["own_posts"] == 1


def test_operators_count_everything_that_is_shared(crowded, operator):
    figures = _figures(crowded, operator)
    assert (figures["named_organizations"], figures["other_organizations"]) == (1, 2)
    assert figures["own_posts"] is None


def test_buyer_page_shows_other_organizations_and_the_portal_only_named_ones(
    client, crowded, alice, carol
):
    client.force_login(alice)
    page = client.get(f"/incidents/{crowded.pk}/").content.decode()
    assert "Other buyer organizations</dt><dd>1</dd>" in page
    client.force_login(carol)
    portal = client.get(f"/portal/incidents/{crowded.pk}/").content.decode()
    assert "from 1 organization<" in portal
    assert "Buyer organizations" not in portal


def test_the_migration_counts_existing_incidents_as_the_recount_does(crowded):
    from importlib import import_module

    migration = import_module("incidents.migrations.0006_counters_by_visibility")
    counted = Incident.objects.filter(pk=crowded.pk).values(
        "named_post_count", "named_organization_count", "public_author_count"
    )
    expected = counted.get()
    counted.update(named_post_count=0, named_organization_count=0, public_author_count=0)
    migration.count_existing(apps, None)
    assert (
        counted.get()
        == expected
        == {
            "named_post_count": 1,
            "named_organization_count": 1,
            "public_author_count": 1,
        }
    )
