"""The buyers' incident list (/incidents/): search, filters, sorts, and who finds what.

The world: Acme (alice) and Globex (bob) buy from Initech (carol) and Umbrella (dave).
- the "housings" incident of Initech holds an anonymous Acme report ("cracked housings"), a private
  Acme report whose words ("zeppelin") nobody outside Acme may read, and a public post;
- the "pallets" incident of Umbrella holds a named Globex report ("crushed pallets, lot PAL-9");
- the "private" incident of Initech holds only a private Acme report ("quokka", PO-777123).
Acme has a vendor code for Initech; alice follows the pallets incident.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from incidents.models import Follow, Incident, Post, Severity
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    VendorCodeFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    housings: Incident
    pallets: Incident
    private: Incident


def grouped(incident: Incident, post: Post) -> Post:
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


@pytest.fixture
def world(acme, globex, initech, umbrella, alice, bob) -> World:
    housings = IncidentFactory(
        supplier=initech,
        title="Cracked housings",
        sku="HX-200",
        post_count=2,
        severity=Severity.HIGH,
    )
    pallets = IncidentFactory(supplier=umbrella, title="Crushed pallets", lot="PAL-9", post_count=1)
    private = IncidentFactory(supplier=initech, title="Certificate missing", post_count=0)
    report = BuyerPostFactory
    grouped(
        housings,
        report(
            organization=acme,
            author=alice,
            supplier=initech,
            text="Housings cracked on arrival, tolerance out by 0.3 mm",
            po_number="PO-4511111",
        ),
    )
    grouped(
        housings,
        report(
            organization=acme,
            author=alice,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            text="Our zeppelin line stopped because of these housings",
        ),
    )
    grouped(housings, PublicPostFactory(text="Initech housings keep cracking"))
    grouped(
        pallets,
        report(
            organization=globex,
            author=bob,
            supplier=umbrella,
            visibility=Post.Visibility.NAMED,
            text="Pallets crushed in transit, wrapping torn",
            lot="PAL-9",
        ),
    )
    grouped(
        private,
        report(
            organization=acme,
            author=alice,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            text="A quokka could write a better certificate",
            po_number="PO-777123",
            sku="QK-1",
        ),
    )
    VendorCodeFactory(organization=acme, supplier=initech, code="V-100")
    Follow.objects.create(user=alice, incident=pallets)
    return World(housings=housings, pallets=pallets, private=private)


def found(client, user, **params) -> list[int]:
    client.force_login(user)
    response = client.get(reverse("incidents"), params)
    assert response.status_code == 200
    return [incident.id for incident in response.context["page"].object_list]


# --- who finds what ------------------------------------------------------------------------------


def test_a_buyer_finds_an_incident_by_a_word_of_its_evidence(client, world, bob):
    assert found(client, bob, q="tolerance") == [world.housings.pk]


def test_a_private_reports_words_never_find_an_incident_for_another_organization(
    client, world, alice, bob
):
    assert found(client, alice, q="zeppelin") == [world.housings.pk]
    assert found(client, bob, q="zeppelin") == []
    assert found(client, bob, q="quokka") == []


def test_an_incident_of_private_reports_only_is_listed_for_its_organization_alone(
    client, world, alice, bob
):
    assert world.private.pk in found(client, alice)
    assert world.private.pk not in found(client, bob)


def test_a_po_number_finds_only_the_organizations_own_reports(client, world, alice, bob):
    assert found(client, alice, q="PO-777123") == [world.private.pk]
    assert found(client, alice, q="4511111") == [world.housings.pk]
    assert found(client, bob, q="4511111") == []


def test_lot_and_sku_find_their_incidents(client, world, alice):
    assert found(client, alice, q="PAL-9") == [world.pallets.pk]
    assert found(client, alice, q="hx-200") == [world.housings.pk]


def test_title_words_find_incidents(client, world, bob):
    assert found(client, bob, q="crushed") == [world.pallets.pk]


def test_supplier_staff_cannot_open_the_buyers_list(client, world, carol):
    client.force_login(carol)
    assert client.get(reverse("incidents")).status_code == 403


def test_the_portal_search_reads_only_the_suppliers_readable_evidence(client, world, carol):
    client.force_login(carol)
    response = client.get(reverse("portal-incidents"), {"q": "zeppelin"})
    assert [i.id for i in response.context["page"].object_list] == []
    response = client.get(reverse("portal-incidents"), {"q": "tolerance"})
    assert [i.id for i in response.context["page"].object_list] == [world.housings.pk]


# --- filters and sorts ---------------------------------------------------------------------------


def test_reported_by_us_lists_the_incidents_with_our_reports(client, world, alice, bob):
    assert set(found(client, alice, reported_by_us="on")) == {world.housings.pk, world.private.pk}
    assert found(client, bob, reported_by_us="on") == [world.pallets.pk]


def test_followed_lists_what_i_follow(client, world, alice, bob):
    assert found(client, alice, followed="on") == [world.pallets.pk]
    assert found(client, bob, followed="on") == []


def test_my_suppliers_are_those_with_our_vendor_codes(client, world, alice, bob):
    assert set(found(client, alice, my_suppliers="on")) == {world.housings.pk, world.private.pk}
    assert found(client, bob, my_suppliers="on") == []


def test_the_supplier_filter_takes_a_name_or_our_vendor_code(client, world, alice):
    assert found(client, alice, supplier="Umbrella Packaging") == [world.pallets.pk]
    assert set(found(client, alice, supplier="V-100")) == {world.housings.pk, world.private.pk}


def test_an_unknown_supplier_is_explained_and_left_out(client, world, alice):
    client.force_login(alice)
    response = client.get(reverse("incidents"), {"supplier": "Nobody Such Ltd"})
    assert response.status_code == 200
    assert "No supplier matches" in response.content.decode()
    assert response.context["page"].paginator.count == 3


def test_severity_sort_puts_the_most_severe_first(client, world, bob):
    assert found(client, bob, sort="severity")[0] == world.housings.pk


def test_the_list_costs_the_same_queries_for_many_incidents(
    client, world, alice, initech, django_assert_max_num_queries
):
    for _ in range(30):
        grouped(
            IncidentFactory(supplier=initech, title="Cracked lids", post_count=1),
            PublicPostFactory(text="Initech lids cracked"),
        )
    client.force_login(alice)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("incidents"), {"q": "cracked", "sort": "activity"})
    assert response.context["page"].paginator.count == 31


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["%", "_", "\\", '"unbalanced', "-", "a" * 5000, "'; drop table", "!!!", "& | !"],
)
def test_any_search_answers_with_a_page(client, world, alice, query):
    client.force_login(alice)
    response = client.get(reverse("incidents"), {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [("incidents", "alice"), ("portal-incidents", "carol"), ("incidents-export", "alice")],
)
@pytest.mark.parametrize(
    "dates", [{"seen_to": "9999-12-31"}, {"seen_from": "0001-01-01", "seen_to": "9999-12-31"}]
)
def test_the_first_and_last_days_there_are_bound_nothing(
    request, client, world, url_name, persona, dates
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse(url_name, args=["csv"]) if url_name.endswith("export") else reverse(url_name)
    response = client.get(url, dates)
    assert response.status_code == 200
    if url_name == "incidents":
        assert response.context["page"].paginator.count == 3


def test_percent_and_underscore_are_searched_as_themselves(client, world, alice):
    assert found(client, alice, q="%") == []
    assert found(client, alice, q="_") == []


def test_a_nul_character_is_refused_with_a_message(client, world, alice):
    client.force_login(alice)
    response = client.get(reverse("incidents"), {"q": "cracked\x00"})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]


def test_buyers_see_the_incidents_link_and_detail_breadcrumb(client, world, alice):
    client.force_login(alice)
    page = client.get(reverse("incident-detail", args=[world.housings.pk])).content.decode()
    assert f'href="{reverse("incidents")}"' in page


# --- the persona matrix: search and export -------------------------------------------------------

# Which incidents each persona finds by a word of each piece of evidence (DESIGN.md's table):
# the private report's words only for Acme (and operators); the anonymous report's and the public
# post's for every buyer and Initech; nothing of Initech's for Umbrella's staff.
# fmt: off
SEARCH_MATRIX = {
    #  word          alice         bob           carol         dave   operator
    "zeppelin":   ("housings",   None,         None,         None,  "housings"),
    "tolerance":  ("housings",   "housings",   "housings",   None,  "housings"),
    "quokka":     ("private",    None,         None,         None,  "private"),
    "wrapping":   ("pallets",    "pallets",    None,         "pallets", "pallets"),
}
# fmt: on
MATRIX_PERSONAS = ("alice", "bob", "carol", "dave", "operator")


@pytest.mark.parametrize("word", SEARCH_MATRIX)
@pytest.mark.parametrize("persona", MATRIX_PERSONAS)
def test_who_finds_what_by_search(
    request, client, world, alice, bob, carol, dave, operator, word, persona
):
    from incidents.selectors import incident_search

    user = request.getfixturevalue(persona)
    expected = SEARCH_MATRIX[word][MATRIX_PERSONAS.index(persona)]
    found = [incident.pk for incident in incident_search(viewer=user.viewer, search=word)]
    assert found == ([getattr(world, expected).pk] if expected else [])


@pytest.mark.parametrize("word", SEARCH_MATRIX)
@pytest.mark.parametrize("persona", MATRIX_PERSONAS)
def test_who_exports_what_by_search(
    request, client, world, alice, bob, carol, dave, operator, word, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url_name = "portal-incidents-export" if user.viewer.is_supplier_staff else "incidents-export"
    response = client.get(reverse(url_name, args=["csv"]), {"q": word})
    text = b"".join(response.streaming_content).decode()
    exported = [int(line.split(",")[0]) for line in text.splitlines()[1:]]
    expected = SEARCH_MATRIX[word][MATRIX_PERSONAS.index(persona)]
    assert exported == ([getattr(world, expected).pk] if expected else [])
