"""The scorecard on the supplier page and in the portal, and the supplier directory: who sees
what (the persona matrix), what the figures count, search and its bad input, and query counts.

The world, this month: Acme (alice) reported an Initech incident anonymously and by name, and once
privately; Globex (bob) once anonymously; a public post complains too. Umbrella (dave) has one
public complaint. Acme's vendor code for Initech is V-100, Globex's for Umbrella V-200.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import scoring, services
from incidents.models import Post, Scorecard, ScoringCriterion
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierAliasFactory,
    SupplierFactory,
    VendorCodeFactory,
)

pytestmark = pytest.mark.django_db

DIRECTORY = "/suppliers/"
INITECH_PAGE = "/suppliers/initech-components/"


def _evidence(incident, post):
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)


@pytest.fixture
def world(acme, globex, initech, umbrella, alice, bob, carol, dave):
    incident = IncidentFactory(supplier=initech, post_count=4, public_post_count=1)
    incident.start_sla(timezone.now())
    incident.save()
    for organization, visibility, quantity in (
        (acme, Post.Visibility.ANONYMOUS, 40),
        (acme, Post.Visibility.NAMED, None),
        (acme, Post.Visibility.PRIVATE, 9000),
        (globex, Post.Visibility.ANONYMOUS, 10),
    ):
        _evidence(
            incident,
            BuyerPostFactory(
                supplier=initech,
                organization=organization,
                visibility=visibility,
                quantity_affected=quantity,
            ),
        )
    _evidence(incident, PublicPostFactory())
    _evidence(IncidentFactory(supplier=umbrella, post_count=1), PublicPostFactory())
    SupplierAliasFactory(supplier=initech, kind="handle", text="@initech")
    VendorCodeFactory(organization=acme, supplier=initech, code="V-100")
    VendorCodeFactory(organization=globex, supplier=umbrella, code="V-200")
    services.scorecards_compute_current()
    return incident


def _figures(html: str) -> dict[str, str]:
    """The figures list of the scorecard: {label: value}."""
    return {
        label.strip(): value.strip()
        for label, value in re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html)
    }


# --- the supplier page ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "bob", "operator"])
def test_buyers_and_operators_see_the_same_scorecard_on_the_supplier_page(
    client, world, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(INITECH_PAGE).content.decode()
    figures = _figures(html)
    # Acme's anonymous and named reports and Globex's: never Acme's private one, not even for Acme.
    assert figures["Buyer reports"] == "3"
    assert figures["Units affected"] == "50"
    assert figures["Public complaints"] == "1"
    assert figures["Disputes upheld"] == "no dispute decided"
    assert "Standing" in html


def test_reporting_organizations_never_tell_whether_anonymous_reports_came_from_a_named_one(
    client, world, alice
):
    # Acme reported by name and anonymously, Globex anonymously: 1 named + 2 anonymous = 3, where
    # one distinct count (2) would tell the supplier that Acme's were among the anonymous ones.
    client.force_login(alice)
    figures = _figures(client.get(INITECH_PAGE).content.decode())
    assert figures["Reporting organizations (by name + anonymously)"] == "3"


def test_supplier_staff_do_not_get_the_buyers_supplier_pages(client, world, carol):
    client.force_login(carol)
    assert client.get(INITECH_PAGE).status_code == 403
    assert client.get(DIRECTORY).status_code == 403


def test_visitors_are_sent_to_sign_in(client, world):
    for url in (INITECH_PAGE, DIRECTORY, reverse("portal-scorecard")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_supplier_page_switches_period_and_ignores_an_unknown_one(client, world, alice):
    client.force_login(alice)
    weekly = client.get(INITECH_PAGE, {"period": "week"}).content.decode()
    assert "Week " in weekly
    unknown = client.get(INITECH_PAGE, {"period": "<script>"})
    assert unknown.status_code == 200
    assert "<script>" not in unknown.content.decode().split("Scorecard period")[1][:400]


def test_a_supplier_without_a_scorecard_says_so(client, world, alice):
    SupplierFactory(name="Quiet Ltd", slug="quiet")
    client.force_login(alice)
    assert "No scorecard per month yet" in client.get("/suppliers/quiet/").content.decode()


# --- the portal -----------------------------------------------------------------------------------


def test_the_portal_shows_the_suppliers_own_scorecard_and_what_would_raise_it(client, world, carol):
    client.force_login(carol)
    html = client.get(reverse("portal-scorecard")).content.decode()
    assert "Scorecard of Initech Components" in html
    assert "What would raise it" in html
    assert "points lost" in html
    assert _figures(html)["Buyer reports"] == "3"


def test_another_suppliers_staff_see_only_their_own_scorecard(client, world, dave):
    client.force_login(dave)
    html = client.get(reverse("portal-scorecard")).content.decode()
    assert "Scorecard of Umbrella Packaging" in html
    assert "Initech" not in html
    assert _figures(html)["Buyer reports"] == "0"


def test_buyers_have_no_portal_scorecard(client, world, alice):
    client.force_login(alice)
    assert client.get(reverse("portal-scorecard")).status_code == 403


def test_a_change_of_weight_shows_once_recomputed(client, world, carol):
    client.force_login(carol)
    before = client.get(reverse("portal-scorecard")).content.decode()
    ScoringCriterion.objects.exclude(key="public_complaints").update(weight=0)
    services.scorecards_compute_current()
    after = client.get(reverse("portal-scorecard")).content.decode()
    # Only public complaints weigh: 1 of 20 -> 95.
    assert "95.0 <small" in after
    assert before != after


# --- the directory --------------------------------------------------------------------------------


def _names(response) -> list[str]:
    return re.findall(r'<a href="/suppliers/[^/"]+/">([^<]+)</a>', response.content.decode())


def test_the_directory_lists_suppliers_with_score_standing_and_open_incidents(client, world, alice):
    client.force_login(alice)
    response = client.get(DIRECTORY)
    assert response.status_code == 200
    assert _names(response) == ["Initech Components", "Umbrella Packaging"]
    html = response.content.decode()
    assert "badge standing" in html
    assert 'href="/suppliers/"' in html  # the header's link


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("initech", ["Initech Components"]),
        ("@initech", ["Initech Components"]),  # an alias
        ("V-100", ["Initech Components"]),  # Acme's own vendor code
        ("V-200", []),  # Globex's vendor code: not Acme's to search by
        ("packag", ["Umbrella Packaging"]),
    ],
)
def test_the_directory_searches_name_alias_and_own_vendor_codes(client, world, alice, query, found):
    client.force_login(alice)
    assert _names(client.get(DIRECTORY, {"q": query})) == found


def test_my_suppliers_are_those_with_our_vendor_codes(client, world, alice, bob):
    client.force_login(alice)
    assert _names(client.get(DIRECTORY, {"mine": "1"})) == ["Initech Components"]
    client.force_login(bob)
    assert _names(client.get(DIRECTORY, {"mine": "1"})) == ["Umbrella Packaging"]


@pytest.mark.parametrize("query", ["%", "_", "\\", "'", "x" * 5000, "a%b_c"])
def test_the_directory_takes_any_search(client, world, alice, query):
    client.force_login(alice)
    response = client.get(DIRECTORY, {"q": query})
    assert response.status_code == 200
    assert _names(response) == []


def test_a_search_the_rule_refuses_is_said_beside_the_field(client, world, alice):
    client.force_login(alice)
    response = client.get(DIRECTORY, {"q": "a\x00b"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()


@pytest.mark.parametrize("suppliers", [2, 30])
def test_the_directory_costs_a_fixed_number_of_queries(
    client, world, alice, suppliers, django_assert_max_num_queries
):
    for _ in range(suppliers):
        supplier = SupplierFactory()
        _evidence(IncidentFactory(supplier=supplier, post_count=1), PublicPostFactory())
        SupplierAliasFactory(supplier=supplier)
    services.scorecards_compute_current()
    client.force_login(alice)
    client.get(DIRECTORY)
    # session, user, membership, the header's organization, inbox and saved views; count, page,
    # aliases, codes
    with django_assert_max_num_queries(10):
        response = client.get(DIRECTORY, {"page": 2})
    assert response.status_code == 200


def test_the_directory_shows_last_months_score_beside_this_months(client, world, alice, umbrella):
    today = timezone.now().date()
    last_month = scoring.period_before("month", scoring.period_start("month", today))
    Scorecard.objects.create(
        supplier=umbrella,
        period="month",
        period_start=last_month,
        score=42.5,
        standing="Poor",
        computed_at=timezone.now(),
    )
    client.force_login(alice)
    html = client.get(DIRECTORY).content.decode()
    assert scoring.period_label("month", last_month) in html
    assert '42.5 <span class="muted">Poor</span>' in html


def test_operators_see_every_supplier_in_the_directory_without_vendor_codes(
    client, world, operator
):
    client.force_login(operator)
    response = client.get(DIRECTORY)
    assert _names(response) == ["Initech Components", "Umbrella Packaging"]
    assert "Our vendor codes" not in response.content.decode()
    assert _names(client.get(DIRECTORY, {"q": "V-100"})) == []  # codes are the buyers' own


def _ranked_world(umbrella):
    """Three suppliers this month: Umbrella scored 40, a newcomer 80, Initech (the world's) scored
    as computed; last month Umbrella scored 70 and the newcomer 60."""
    today = timezone.now().date()
    this_month = scoring.period_start("month", today)
    last_month = scoring.period_before("month", this_month)
    newcomer = SupplierFactory(name="Acorn Fasteners")
    for supplier, period_start, score in (
        (umbrella, this_month, 40.0),
        (umbrella, last_month, 70.0),
        (newcomer, this_month, 80.0),
        (newcomer, last_month, 60.0),
    ):
        Scorecard.objects.update_or_create(
            supplier=supplier,
            period="month",
            period_start=period_start,
            defaults={"score": score, "standing": "Fair", "computed_at": timezone.now()},
        )
    return Scorecard.objects.get(supplier__slug="initech-components", period_start=this_month)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Acorn Fasteners", "Initech Components", "Umbrella Packaging"]),
        ("best", "by score, highest first"),
        ("worst", "by score, lowest first"),
        ("fallen", ["Umbrella Packaging", "Acorn Fasteners", "Initech Components"]),
        ("open", ["Initech Components", "Umbrella Packaging", "Acorn Fasteners"]),
        ("nonsense", ["Acorn Fasteners", "Initech Components", "Umbrella Packaging"]),
    ],
)
def test_the_directory_ranks_suppliers_by_score_change_or_open_incidents(
    client, world, alice, umbrella, sort, expected
):
    initech = _ranked_world(umbrella)
    scores = {"Acorn Fasteners": 80.0, "Umbrella Packaging": 40.0}
    scores["Initech Components"] = initech.score
    if expected == "by score, highest first":
        expected = sorted(scores, key=lambda name: -scores[name])
    elif expected == "by score, lowest first":
        expected = sorted(scores, key=lambda name: scores[name])
    client.force_login(alice)
    response = client.get(DIRECTORY, {"sort": sort})
    assert response.status_code == 200
    assert _names(response) == expected


def test_the_directory_shows_each_scores_change_since_last_period(client, world, alice, umbrella):
    _ranked_world(umbrella)
    client.force_login(alice)
    html = client.get(DIRECTORY).content.decode()
    assert re.search(r'class="score-change down"[^>]*>▼ -30\.0<', html)
    assert re.search(r'class="score-change up"[^>]*>▲ \+20\.0<', html)
