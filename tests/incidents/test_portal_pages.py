"""The supplier portal: dashboard, incident list, incident page and the actions staff take there.

The world: Initech's staff are carol (responder, from conftest), ivy (admin) and vic (viewer);
Umbrella's dave is the outsider. Acme (alice) and Globex (bob) are buyers who report problems.
alice and Acme carry distinctive ids here, so a test can prove that none of them reaches a page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import inputs, services
from incidents.charts import RANGES
from incidents.models import (
    Attachment,
    Category,
    Incident,
    IncidentEvent,
    Post,
    Response,
    Severity,
)
from incidents.selectors import portal_overview
from incidents.services import incident_resolve
from incidents.services.processing import incidents_recount
from suppliers.models import Membership, Organization, User
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerMembershipFactory,
    BuyerPostFactory,
    CategoryFactory,
    IncidentEventFactory,
    IncidentFactory,
    OrganizationFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierMembershipFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

ALICE_ID = 98_700_123
ACME_ID = 97_600_456


@pytest.fixture
def acme(db) -> Organization:
    return OrganizationFactory(pk=ACME_ID, name="Acme Manufacturing", slug="acme")


@pytest.fixture
def alice(acme) -> User:
    return BuyerMembershipFactory(
        user__pk=ALICE_ID,
        user__email="alice@acme.test",
        user__first_name="Alice",
        user__last_name="Anderson",
        organization=acme,
        role=Membership.Role.MEMBER,
    ).user


@pytest.fixture
def vic(initech) -> User:
    """Initech's viewer: reads, never acts."""
    return SupplierMembershipFactory(
        user__email="vic@initech.test",
        user__first_name="Vic",
        supplier=initech,
        role=Membership.Role.VIEWER,
    ).user


def open_incident(supplier, **fields) -> Incident:
    fields.setdefault("post_count", 1)
    return IncidentFactory(supplier=supplier, **fields)


def add_report(incident: Incident, organization, *, author=None, **fields) -> Post:
    """A buyer report grouped into the incident, as the pipeline would leave it."""
    fields.setdefault("visibility", Post.Visibility.ANONYMOUS)
    fields.setdefault("predicted_category", incident.category)
    if author is not None:
        fields["author"] = author
    post = BuyerPostFactory(
        supplier=incident.supplier,
        organization=organization,
        status=Post.Status.PROCESSED,
        is_complaint=True,
        **fields,
    )
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


def add_public_post(incident: Incident, **fields) -> Post:
    fields.setdefault("predicted_category", incident.category)
    post = PublicPostFactory(status=Post.Status.PROCESSED, is_complaint=True, **fields)
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


def page(client, user, url: str, **params):
    client.force_login(user)
    return client.get(url, params)


def html_of(response) -> str:
    """The page without its CSRF tokens (random text that could contain any digits)."""
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def listed_ids(response) -> list[int]:
    return [incident.id for incident in response.context["page"].object_list]


def incident_url(incident: Incident) -> str:
    return f"/portal/incidents/{incident.pk}/"


def action_url(incident: Incident, action: str) -> str:
    return f"/portal/incidents/{incident.pk}/{action}/"


# --- Who gets in ---------------------------------------------------------------------------------


def test_visitor_is_sent_to_login(client, initech):
    for url in ("/portal/", "/portal/incidents/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_buyer_cannot_open_the_portal(client, alice):
    assert page(client, alice, "/portal/").status_code == 403
    assert page(client, alice, "/portal/incidents/").status_code == 403


def test_supplier_cannot_see_other_suppliers_incident(client, carol, dave, umbrella):
    theirs = open_incident(umbrella)
    missing_id = Incident.objects.order_by("-pk").first().pk + 1000
    client.force_login(carol)
    forbidden = client.get(incident_url(theirs))
    missing = client.get(f"/portal/incidents/{missing_id}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content.replace(
        str(missing_id).encode(), str(theirs.pk).encode()
    )


def test_supplier_cannot_act_on_other_suppliers_incident(client, carol, umbrella):
    theirs = open_incident(umbrella)
    client.force_login(carol)
    response = client.post(action_url(theirs, "acknowledge"))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Incident.Status.NEW
    assert not IncidentEvent.objects.filter(incident=theirs).exists()


def test_other_suppliers_incidents_are_not_listed_or_counted(client, carol, initech, umbrella):
    ours = open_incident(initech, severity=Severity.HIGH)
    open_incident(umbrella, severity=Severity.HIGH)
    response = page(client, carol, "/portal/incidents/")
    assert listed_ids(response) == [ours.pk]
    home = page(client, carol, "/portal/")
    assert home.context["overview"].open_total == 1


def test_incident_without_shareable_evidence_is_a_404(client, carol, initech):
    """Only private reports: the supplier may not even know it exists."""
    private_only = open_incident(initech, post_count=0)
    assert page(client, carol, incident_url(private_only)).status_code == 404


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_counts_open_incidents_by_severity(client, carol, initech):
    open_incident(initech, severity=Severity.CRITICAL)
    open_incident(initech, severity=Severity.CRITICAL, status=Incident.Status.INVESTIGATING)
    open_incident(initech, severity=Severity.LOW)
    open_incident(initech, severity=Severity.CRITICAL, status=Incident.Status.RESOLVED)
    response = page(client, carol, "/portal/")
    overview = response.context["overview"]
    by_severity = {row.severity: row.open for row in overview.by_severity}
    assert by_severity == {
        Severity.CRITICAL: 2,
        Severity.HIGH: 0,
        Severity.MEDIUM: 0,
        Severity.LOW: 1,
    }
    assert overview.open_total == 3
    assert "3</span>" in response.content.decode()
    most_severe = [i.severity for i in overview.most_severe]
    assert most_severe == [Severity.CRITICAL, Severity.CRITICAL, Severity.LOW]


def test_dashboard_lists_overdue_answers(client, carol, initech):
    now = timezone.now()
    not_acknowledged = open_incident(
        initech, title="Late first answer", acknowledge_due_at=now - timedelta(hours=2)
    )
    not_resolved = open_incident(
        initech,
        title="Late resolution",
        status=Incident.Status.ACKNOWLEDGED,
        acknowledged_at=now - timedelta(days=9),
        acknowledge_due_at=now - timedelta(days=8),
        resolve_due_at=now - timedelta(days=1),
    )
    open_incident(  # acknowledged in time, resolution not yet due
        initech,
        title="On time",
        status=Incident.Status.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledge_due_at=now - timedelta(hours=1),
        resolve_due_at=now + timedelta(days=3),
    )
    open_incident(  # resolved: no longer owed anything
        initech,
        title="Resolved late",
        status=Incident.Status.RESOLVED,
        resolve_due_at=now - timedelta(days=3),
    )
    response = page(client, carol, "/portal/")
    overview = response.context["overview"]
    assert {i.pk for i in overview.overdue} == {not_acknowledged.pk, not_resolved.pk}
    assert overview.overdue_total == 2
    html = response.content.decode()
    overdue_section = html[html.index('id="overdue-h"') : html.index('id="severe-h"')]
    assert "First answer due" in overdue_section
    assert "Resolution due" in overdue_section
    assert "Late first answer" in overdue_section
    assert "On time" not in overdue_section


def test_dashboard_charts_complaints_per_day_without_private_reports(
    client, carol, initech, acme, globex
):
    now = timezone.now()
    incident = open_incident(initech, category=defect_category())
    add_report(incident, acme, published_at=now - timedelta(days=2))
    add_report(incident, globex, published_at=now - timedelta(days=2))
    add_public_post(incident, published_at=now)
    add_report(incident, acme, published_at=now, visibility=Post.Visibility.PRIVATE)
    add_report(incident, acme, published_at=now - timedelta(days=45))  # before the window
    response = page(client, carol, "/portal/")
    overview = response.context["overview"]
    chart = overview.complaints.chart
    per_day = dict(chart.points)
    assert len(per_day) == 30 and chart.period == "day"
    assert per_day[timezone.localdate(now).isoformat()] == 1
    assert per_day[timezone.localdate(now - timedelta(days=2)).isoformat()] == 2
    assert chart.total == 3
    assert overview.top_categories == [("Defect / nonconformance", 3)]
    html = response.content.decode()
    # The chart and its text alternative.
    assert "<svg " in html and 'role="img"' in html
    assert "3 complaints from " in html
    two_days_ago = timezone.localdate(now - timedelta(days=2)).isoformat()
    assert f"<tr><td>{two_days_ago}</td><td>2</td></tr>" in html


def test_dashboard_lists_recent_spikes(client, carol, initech, umbrella):
    spiking = open_incident(initech, title="Crushed cartons")
    IncidentEventFactory(
        incident=spiking,
        kind=IncidentEvent.Kind.SPIKE,
        data={"complaints_last_hour": 12, "expected": 1.5},
    )
    old = IncidentEventFactory(incident=spiking, kind=IncidentEvent.Kind.SPIKE, data={})
    IncidentEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    IncidentEventFactory(incident=open_incident(umbrella), kind=IncidentEvent.Kind.SPIKE)
    response = page(client, carol, "/portal/")  # the last 30 days
    assert [e.incident_id for e in response.context["overview"].spikes] == [spiking.pk]
    assert "12 complaints in an hour" in response.content.decode()
    every = page(client, carol, "/portal/", range="all").context["overview"].spikes
    assert [e.pk for e in every][1:] == [old.pk]


# --- Incident list -------------------------------------------------------------------------------


@pytest.fixture
def listed(initech, acme):
    """Four Initech incidents that differ in every filtered column."""
    now = timezone.now()
    packaging = CategoryFactory(slug="packaging", name="Packaging")
    a = open_incident(
        initech,
        title="Cracked housings",
        lot="L-2611",
        severity=Severity.CRITICAL,
        post_count=5,
        first_seen_at=now - timedelta(days=40),
        last_seen_at=now - timedelta(days=35),
        created_at=now - timedelta(days=40),
    )
    b = open_incident(
        initech,
        title="Torn cartons",
        sku="BOX-9",
        category=packaging,
        severity=Severity.LOW,
        status=Incident.Status.INVESTIGATING,
        post_count=2,
        first_seen_at=now - timedelta(days=3),
        last_seen_at=now - timedelta(days=1),
    )
    c = open_incident(
        initech,
        title="Missing certificates",
        severity=Severity.HIGH,
        status=Incident.Status.RESOLVED,
        post_count=9,
        first_seen_at=now - timedelta(days=10),
        last_seen_at=now - timedelta(days=8),
    )
    d = open_incident(
        initech,
        title="Late trucks",
        severity=Severity.MEDIUM,
        post_count=1,
        first_seen_at=now - timedelta(days=2),
        last_seen_at=now,
    )
    add_report(d, acme, text="The pallet of brackets was wet and rusty on arrival")
    # Activity order, newest first: d, c, b, a.
    for offset, incident in enumerate((d, c, b, a)):
        Incident.objects.filter(pk=incident.pk).update(
            last_activity_at=now - timedelta(hours=offset), created_at=now - timedelta(days=offset)
        )
    return {"a": a, "b": b, "c": c, "d": d}


def ids(listed, names: str) -> list[int]:
    return [listed[name].pk for name in names]


def test_list_without_filters_shows_all_by_latest_activity(client, carol, listed):
    response = page(client, carol, "/portal/incidents/")
    assert listed_ids(response) == ids(listed, "dcba")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, "dba"),
        ({"status": "resolved"}, "c"),
        ({"status": "investigating"}, "b"),
        ({"severity": "4"}, "a"),
        ({"severity": "1"}, "b"),
        ({"q": "cartons"}, "b"),  # title
        ({"q": "l-2611"}, "a"),  # lot, any case
        ({"q": "BOX-9"}, "b"),  # SKU
        ({"q": "rusty"}, "d"),  # words of a report
        ({"q": "nothing like this"}, ""),
        ({"status": "open", "severity": "3"}, ""),
    ],
)
def test_list_filters(client, carol, listed, params, expected):
    response = page(client, carol, "/portal/incidents/", **params)
    assert listed_ids(response) == ids(listed, expected)


def test_list_filters_by_category(client, carol, listed):
    packaging = listed["b"].category
    response = page(client, carol, "/portal/incidents/", category=packaging.pk)
    assert listed_ids(response) == ids(listed, "b")


def test_list_filters_by_dates_of_evidence(client, carol, listed):
    today = timezone.localdate()
    last_week = page(
        client, carol, "/portal/incidents/", seen_from=(today - timedelta(days=7)).isoformat()
    )
    assert listed_ids(last_week) == ids(listed, "db")
    month_ago = page(
        client,
        carol,
        "/portal/incidents/",
        seen_from=(today - timedelta(days=36)).isoformat(),
        seen_to=(today - timedelta(days=30)).isoformat(),
    )
    assert listed_ids(month_ago) == ids(listed, "a")


def test_list_filters_overdue_incidents(client, carol, initech):
    now = timezone.now()
    late = open_incident(initech, acknowledge_due_at=now - timedelta(minutes=5))
    open_incident(initech, acknowledge_due_at=now + timedelta(hours=5))
    open_incident(initech, status=Incident.Status.RESOLVED, resolve_due_at=now - timedelta(days=1))
    response = page(client, carol, "/portal/incidents/", status="overdue")
    assert listed_ids(response) == [late.pk]


def test_search_never_matches_words_of_a_private_report(client, carol, listed, acme):
    add_report(listed["a"], acme, text="Our internal codename is BLUEFALCON", visibility="private")
    response = page(client, carol, "/portal/incidents/", q="bluefalcon")
    assert listed_ids(response) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("activity", "dcba"), ("severity", "acdb"), ("posts", "cabd"), ("created", "dcba")],
)
def test_list_sorts(client, carol, listed, sort, expected):
    response = page(client, carol, "/portal/incidents/", sort=sort)
    assert listed_ids(response) == ids(listed, expected)


def test_invalid_filter_is_explained_and_the_rest_still_applies(client, carol, listed):
    response = page(
        client, carol, "/portal/incidents/", status="open", seen_from="not-a-date", severity="9"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "seen_from" in form.errors and "severity" in form.errors
    assert listed_ids(response) == ids(listed, "dba")
    assert 'value="not-a-date"' in response.content.decode()


def test_list_paginates_and_keeps_filters_in_page_links(client, carol, initech):
    for n in range(30):
        open_incident(initech, title=f"Incident {n}", severity=Severity.HIGH)
    open_incident(initech, title="Low one", severity=Severity.LOW)
    first = page(client, carol, "/portal/incidents/", severity="3")
    assert first.context["page"].paginator.count == 30
    assert len(listed_ids(first)) == 25
    html = first.content.decode()
    assert "page 1 of 2" in html
    assert 'href="?severity=3&amp;page=2"' in html
    second = page(client, carol, "/portal/incidents/", severity="3", page="2")
    assert len(listed_ids(second)) == 5
    assert set(listed_ids(first)).isdisjoint(listed_ids(second))
    beyond = page(client, carol, "/portal/incidents/", severity="3", page="99")
    assert beyond.context["page"].number == 2


def test_htmx_request_gets_only_the_results(client, carol, listed):
    client.force_login(carol)
    response = client.get("/portal/incidents/", {"q": "cartons"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Torn cartons" in html and "Cracked housings" not in html


# --- Incident page: evidence ---------------------------------------------------------------------


@pytest.fixture
def reported(initech, alice, bob):
    """An Initech incident with an anonymous report by alice, a named one by bob, a public post."""
    incident = open_incident(initech, title="Cracked housings, lot L-2611", post_count=3)
    anonymous = add_report(
        incident,
        alice.membership.organization,
        author=alice,
        text="Forty housings cracked at incoming inspection",
        po_number="PO-7700991",
        sku="HX-200",
        lot="L-2611",
    )
    Attachment.objects.create(
        post=anonymous,
        file="attachments/x/photo.jpg",
        original_name="Alice Anderson - Acme Manufacturing inspection.jpg",
        content_type="image/jpeg",
        size=2048,
        scrubbed=True,
    )
    named = add_report(
        incident,
        bob.membership.organization,
        author=bob,
        visibility=Post.Visibility.NAMED,
        text="Same here: cracked housings in lot L-2611",
        po_number="PO-5500123",
    )
    public = add_public_post(
        incident, author_handle="@plantmanager", url="https://social.example/p/1"
    )
    IncidentEventFactory(
        incident=incident,
        kind=IncidentEvent.Kind.POST_ADDED,
        data={"posts": 3, "public_posts": 1, "post_ids": [anonymous.pk, named.pk, public.pk]},
    )
    return incident


def test_anonymous_report_never_reveals_its_buyer_anywhere_in_the_page(
    client, carol, alice, reported
):
    response = page(client, carol, incident_url(reported))
    assert response.status_code == 200
    html = html_of(response)
    assert "Forty housings cracked at incoming inspection" in html  # the text is shown
    lowered = html.lower()
    for secret in ("alice", "anderson", "acme", "alice@acme.test"):
        assert secret not in lowered, secret
    assert str(ALICE_ID) not in html
    assert str(ACME_ID) not in html
    assert "PO-7700991" not in html  # a PO number names the buyer to the supplier's order book
    assert "Photo 1" in html  # listed, but not under its uploader's file name


def test_viewer_and_admin_pages_do_not_reveal_the_anonymous_buyer_either(
    client, ivy, vic, alice, reported
):
    for user in (ivy, vic):
        html = html_of(page(client, user, incident_url(reported))).lower()
        assert "alice" not in html and "acme" not in html
        assert str(ALICE_ID) not in html and str(ACME_ID) not in html


def test_named_report_shows_organization_and_author(client, carol, bob, reported):
    html = page(client, carol, incident_url(reported)).content.decode()
    assert "Bob" in html
    assert "Globex" in html
    assert "PO-5500123" in html


def test_public_post_shows_handle_and_a_safe_link(client, carol, reported):
    html = page(client, carol, incident_url(reported)).content.decode()
    assert "@plantmanager" in html
    assert 'href="https://social.example/p/1" rel="noopener nofollow ugc"' in html


def test_public_post_with_a_script_link_gets_no_link(client, carol, initech):
    incident = open_incident(initech)
    add_public_post(incident, author_handle="@trick", url="javascript:alert(1)")
    html = page(client, carol, incident_url(incident)).content.decode()
    assert "@trick" in html
    assert "javascript:" not in html


def test_evidence_text_is_escaped(client, carol, initech, acme):
    incident = open_incident(initech)
    add_report(incident, acme, text="<img src=x onerror=alert(1)>")
    html = page(client, carol, incident_url(incident)).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_private_reports_are_not_shown(client, carol, initech, acme):
    incident = open_incident(initech)
    add_report(incident, acme, text="Visible complaint")
    add_report(incident, acme, text="Our own private note", visibility=Post.Visibility.PRIVATE)
    html = page(client, carol, incident_url(incident)).content.decode()
    assert "Visible complaint" in html
    assert "Our own private note" not in html


def test_timeline_is_in_plain_words(client, carol, reported):
    incident_resolve(incident=reported, actor=carol, note="Bad mould replaced")
    html = page(client, carol, incident_url(reported)).content.decode()
    assert "3 new reports added (1 public post)." in html
    assert "Status changed from New to Resolved." in html
    assert "Bad mould replaced" in html
    assert "Carol" in html


# --- Incident page: actions ----------------------------------------------------------------------


def test_viewer_sees_no_action_forms(client, vic, reported):
    response = page(client, vic, incident_url(reported))
    html = response.content.decode()
    assert response.context["can_act"] is False
    assert 'method="post" action="/portal/incidents/' not in html
    assert "responders and admins" in html


@pytest.mark.parametrize(
    "action", ["acknowledge", "investigate", "assign", "respond", "severity", "resolve"]
)
def test_viewer_cannot_act(client, vic, reported, action):
    client.force_login(vic)
    response = client.post(
        action_url(reported, action), {"body": "hello", "severity": "4", "note": "x"}
    )
    assert response.status_code == 403
    assert not IncidentEvent.objects.filter(incident=reported, actor=vic).exists()
    assert not Response.objects.filter(incident=reported).exists()


def test_action_needs_post(client, carol, reported):
    client.force_login(carol)
    assert client.get(action_url(reported, "acknowledge")).status_code == 405


def test_unknown_action_is_a_404(client, carol, reported):
    client.force_login(carol)
    assert client.post(action_url(reported, "delete")).status_code == 404


def _colleague(initech):
    return SupplierMembershipFactory(
        supplier=initech, user__first_name="Ivan", role=Membership.Role.RESPONDER
    ).user


ACTION_CASES = {
    "acknowledge": (
        lambda ctx: {},
        IncidentEvent.Kind.STATUS_CHANGED,
        lambda i, ctx: i.status == Incident.Status.ACKNOWLEDGED and i.acknowledged_at,
    ),
    "investigate": (
        lambda ctx: {},
        IncidentEvent.Kind.STATUS_CHANGED,
        lambda i, ctx: i.status == Incident.Status.INVESTIGATING,
    ),
    "assign": (
        lambda ctx: {"assignee": ctx["colleague"].pk},
        IncidentEvent.Kind.ASSIGNED,
        lambda i, ctx: i.assignee_id == ctx["colleague"].pk,
    ),
    "respond": (
        lambda ctx: {"body": "We have quarantined lot L-2611.", "organization": ""},
        IncidentEvent.Kind.RESPONSE,
        lambda i, ctx: i.responses.get().visibility == Response.Visibility.PUBLIC,
    ),
    "severity": (
        lambda ctx: {"severity": str(Severity.CRITICAL)},
        IncidentEvent.Kind.SEVERITY_CHANGED,
        lambda i, ctx: i.severity == Severity.CRITICAL,
    ),
    "resolve": (
        lambda ctx: {"note": "New mould in use"},
        IncidentEvent.Kind.STATUS_CHANGED,
        lambda i, ctx: i.status == Incident.Status.RESOLVED,
    ),
}


@pytest.mark.parametrize("action", list(ACTION_CASES))
def test_each_action_writes_its_event(client, carol, initech, reported, action):
    data_for, kind, changed = ACTION_CASES[action]
    ctx = {"colleague": _colleague(initech)}
    client.force_login(carol)
    response = client.post(action_url(reported, action), data_for(ctx))
    assert response.status_code == 302
    assert response.url.startswith(incident_url(reported))
    # One event of the action's kind (answering a new incident also acknowledges it).
    assert IncidentEvent.objects.filter(incident=reported, actor=carol, kind=kind).count() == 1
    reported.refresh_from_db()
    assert changed(reported, ctx)
    follow = client.get(response.url)
    assert follow.status_code == 200
    assert [str(m) for m in follow.context["messages"]]


@pytest.mark.parametrize(
    "action, field, limit",
    [
        ("respond", "body", inputs.ANSWER_MAX),
        ("resolve", "note", inputs.NOTE_MAX),
    ],
)
def test_the_portal_takes_words_up_to_the_input_rules_limit_and_no_more(
    client, carol, reported, action, field, limit
):
    """The page's forms accept what the service (and so the API) accepts, and refuse the rest
    beside the field."""
    client.force_login(carol)
    refused = client.post(action_url(reported, action), {field: "w" * (limit + 1)})
    assert refused.status_code == 400
    assert refused.context["forms"][action].errors[field]
    accepted = client.post(action_url(reported, action), {field: "w" * limit})
    assert accepted.status_code == 302


def test_close_a_resolved_incident(client, carol, reported):
    incident_resolve(incident=reported, actor=carol)
    response = page(client, carol, incident_url(reported))
    assert "close" in response.context["forms"]
    assert "resolve" not in response.context["forms"]
    response = client.post(action_url(reported, "close"))
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == Incident.Status.CLOSED
    assert IncidentEvent.objects.filter(
        incident=reported, kind=IncidentEvent.Kind.STATUS_CHANGED, data__to="closed"
    ).exists()


def test_admin_acts_too(client, ivy, reported):
    client.force_login(ivy)
    assert client.post(action_url(reported, "acknowledge")).status_code == 302
    assert IncidentEvent.objects.filter(incident=reported, actor=ivy).exists()


def test_assign_offers_only_colleagues(client, carol, dave, initech, reported):
    colleague = _colleague(initech)
    response = page(client, carol, incident_url(reported))
    options = response.context["forms"]["assign"].fields["assignee"].queryset
    assert set(options) == {carol, colleague}
    response = client.post(action_url(reported, "assign"), {"assignee": dave.pk})
    assert response.status_code == 400
    assert response.context["forms"]["assign"].errors["assignee"]
    reported.refresh_from_db()
    assert reported.assignee_id is None


def test_private_answer_is_offered_only_to_organizations_that_reported_by_name(
    client, carol, alice, bob, reported
):
    globex = bob.membership.organization
    response = page(client, carol, incident_url(reported))
    offered = list(response.context["forms"]["respond"].fields["organization"].queryset)
    assert offered == [globex]
    html = html_of(response)
    assert f'<option value="{globex.pk}">Globex</option>' in html

    answered = client.post(
        action_url(reported, "respond"),
        {"body": "Credit note on its way", "organization": globex.pk},
    )
    assert answered.status_code == 302
    response_row = Response.objects.get(incident=reported)
    assert response_row.visibility == Response.Visibility.ORGANIZATION
    assert response_row.organization == globex
    event = IncidentEvent.objects.get(incident=reported, kind=IncidentEvent.Kind.RESPONSE)
    assert "Globex" not in str(event.data)


def test_private_answer_to_an_anonymous_reporter_is_refused_and_nothing_typed_is_lost(
    client, carol, alice, reported
):
    client.force_login(carol)
    response = client.post(
        action_url(reported, "respond"),
        {"body": "Dear anonymous buyer, who are you?", "organization": ACME_ID},
    )
    assert response.status_code == 400
    form = response.context["forms"]["respond"]
    assert form.errors["organization"]
    assert not Response.objects.exists()
    html = html_of(response)
    assert "Dear anonymous buyer, who are you?</textarea>" in html
    # The refusal must not confirm anything about the organization either.
    assert "acme" not in html.lower() and str(ACME_ID) not in html


def test_without_named_reporters_answers_are_public(client, carol, initech, acme):
    incident = open_incident(initech)
    add_report(incident, acme)
    response = page(client, carol, incident_url(incident))
    assert response.context["forms"]["respond"].fields["organization"].widget.is_hidden
    assert "Nobody reported this incident by name" in response.content.decode()


def test_service_refusal_becomes_a_form_error(client, carol, reported):
    """Closing an open incident is refused by incident_close; the page says why."""
    client.force_login(carol)
    response = client.post(action_url(reported, "close"))
    assert response.status_code == 400
    assert response.context["forms"]["close"].non_field_errors() == [
        "Resolve the incident before closing it."
    ]
    html = response.content.decode()
    assert "Resolve the incident before closing it." in html
    assert 'href="#form-close"' in html  # the summary at the top leads to the form


def test_empty_answer_keeps_the_other_fields_and_says_what_is_missing(client, carol, bob, reported):
    globex = bob.membership.organization
    client.force_login(carol)
    response = client.post(
        action_url(reported, "respond"), {"body": "   ", "organization": globex.pk}
    )
    assert response.status_code == 400
    assert response.context["forms"]["respond"].errors["body"] == ["Write an answer."]
    assert f'<option value="{globex.pk}" selected>Globex</option>' in response.content.decode()


# --- Fixed query counts --------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow(initech, acme, globex, n: int) -> list[Incident]:
    incidents = []
    for i in range(n):
        incident = open_incident(
            initech,
            severity=Severity.values[i % 4],
            assignee=None,
            acknowledge_due_at=timezone.now() - timedelta(hours=1),
        )
        add_report(incident, acme)
        add_report(incident, globex, visibility=Post.Visibility.NAMED)
        add_public_post(incident)
        IncidentEventFactory(incident=incident, kind=IncidentEvent.Kind.SPIKE, data={})
        incidents.append(incident)
    return incidents


@pytest.mark.parametrize("url", ["/portal/", "/portal/incidents/", "/portal/incidents/?q=housing"])
def test_portal_pages_cost_the_same_queries_for_one_or_many_rows(
    client, carol, initech, acme, globex, django_assert_max_num_queries, url
):
    client.force_login(carol)
    grow(initech, acme, globex, 1)
    one = count_queries(client, url)
    grow(initech, acme, globex, 30)
    with django_assert_max_num_queries(one):
        client.get(url)
    # The dashboard's lists also read their incidents' 8D, and the header its saved views.
    assert one <= 14


def test_incident_page_costs_the_same_queries_for_one_or_many_posts(
    client, carol, initech, acme, globex, django_assert_max_num_queries
):
    client.force_login(carol)
    incident = open_incident(initech)
    add_report(incident, acme)
    add_report(incident, globex, visibility=Post.Visibility.NAMED)  # private answers offered
    add_public_post(incident)  # its label-correction form reads the categories once per page
    url = incident_url(incident)
    one = count_queries(client, url)
    for _ in range(15):
        post = add_report(incident, acme)
        Attachment.objects.create(
            post=post,
            file="a/b.pdf",
            original_name="b.pdf",
            content_type="application/pdf",
            size=1,
            scrubbed=True,
        )
        add_report(
            incident,
            globex,
            author=BuyerMembershipFactory(organization=globex).user,
            visibility=Post.Visibility.NAMED,
        )
        add_public_post(incident)
        IncidentEventFactory(
            incident=incident, kind=IncidentEvent.Kind.POST_ADDED, data={"posts": 3}
        )
        IncidentEventFactory(incident=incident, kind=IncidentEvent.Kind.ASSIGNED, actor=carol)
        Response.objects.create(
            incident=incident,
            author=carol,
            body="Looking",
            organization=globex,
            visibility=Response.Visibility.ORGANIZATION,
        )
        _colleague(initech)
    with django_assert_max_num_queries(one):
        client.get(url)
    assert one <= 20


def test_label_forms_read_the_categories_once_per_page_even_when_none_is_in_use(
    client, carol, initech, django_assert_max_num_queries
):
    """Every public post carries a label-correction form. With no category in use, the empty list
    is read once per page too, not once per post."""
    Category.objects.update(is_active=False)
    client.force_login(carol)
    incident = open_incident(initech)
    add_public_post(incident)
    url = incident_url(incident)
    one = count_queries(client, url)
    for _ in range(14):
        add_public_post(incident)
    # The counters, as the pipeline leaves them: the evidence list's length is theirs.
    incidents_recount(incident_ids=[incident.pk])
    with django_assert_max_num_queries(one):
        response = client.get(url)
    assert html_of(response).count('class="label-form"') == 15


def test_overview_selector_costs_seven_queries(
    carol, initech, acme, globex, django_assert_num_queries
):
    grow(initech, acme, globex, 5)
    # Both lists' 8D disciplines, which every view of an incident shows, in one; the complaints'
    # days in one grouped query (the latest day is read only when the range holds none).
    with django_assert_num_queries(7):
        overview = portal_overview(viewer=carol.viewer, time_range=RANGES["30d"])
        [row.open for row in overview.by_severity]
        [(i.category, i.assignee) for i in overview.most_severe + overview.overdue]
        [e.incident.title for e in overview.spikes]


# --- The page offers exactly what the services accept ------------------------------------------

STATE_MACHINE_ACTIONS = {
    "acknowledge": lambda i, actor, ctx: services.incident_acknowledge(incident=i, actor=actor),
    "investigate": lambda i, actor, ctx: services.incident_start_investigation(
        incident=i, actor=actor
    ),
    "assign": lambda i, actor, ctx: services.incident_assign(
        incident=i, actor=actor, assignee=ctx["colleague"]
    ),
    "respond": lambda i, actor, ctx: services.incident_respond(
        incident=i, author=actor, body="We are on it."
    ),
    "severity": lambda i, actor, ctx: services.incident_set_severity(
        incident=i, actor=actor, severity=Severity.CRITICAL
    ),
    "resolve": lambda i, actor, ctx: services.incident_resolve(incident=i, actor=actor),
    "close": lambda i, actor, ctx: services.incident_close(incident=i, actor=actor),
}


@pytest.mark.parametrize("status", Incident.Status.values)
def test_the_page_offers_exactly_the_actions_that_change_the_incident(
    client, carol, initech, acme, status
):
    ctx = {"colleague": _colleague(initech)}
    for action, perform in STATE_MACHINE_ACTIONS.items():
        incident = open_incident(initech, status=status, severity=Severity.MEDIUM)
        add_report(incident, acme)
        offered = action in page(client, carol, incident_url(incident)).context["forms"]
        try:
            perform(incident, carol, ctx)
        except ApplicationError:
            changed = False
        else:
            changed = incident.events.exists()
        assert offered == changed, (status, action, offered, changed)


def test_a_public_posts_label_form_offers_every_category_in_use_its_correction_chosen(
    client, carol, initech
):
    """Each public post of the page has its own category choice, the corrected one selected."""
    incident = IncidentFactory(supplier=initech, post_count=2, public_post_count=2)
    damaged = CategoryFactory(slug="crushed", name="Crushed <in transit>")
    CategoryFactory(slug="retired", name="Retired", is_active=False)
    corrected = PublicPostFactory(label_is_complaint=True, label_category=damaged)
    plain = PublicPostFactory()
    for post in (corrected, plain):
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    client.force_login(carol)

    html = client.get(incident_url(incident)).content.decode()

    forms = {
        post.pk: html[html.index(f'id="label-{post.pk}"') :].split("</select>")[0]
        for post in (corrected, plain)
    }
    option = f'<option value="{damaged.pk}"{{}}>Crushed &lt;in transit&gt;</option>'
    assert option.format(" selected") in forms[corrected.pk]
    assert option.format("") in forms[plain.pk]
    for form in forms.values():
        assert (
            "Retired" not in form
            and form.count("<option") == 1 + Category.objects.filter(is_active=True).count()
        )
