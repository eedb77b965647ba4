"""Saved views: a person saves a list's filters under a name, finds them in the navigation, shares
them with their team, deletes their own. Colleagues of another party never see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents import inputs
from incidents.forms import BuyerIncidentFilterForm, IncidentFilterForm
from incidents.models import SavedView
from incidents.services import saved_view_delete, saved_view_save
from suppliers.models import Membership
from supplierwatch.errors import ApplicationError
from tests.factories import BuyerMembershipFactory, SupplierMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alan(acme):
    """alice's colleague at Acme."""
    return BuyerMembershipFactory(
        organization=acme, role=Membership.Role.MEMBER, user__first_name="Alan"
    ).user


@pytest.fixture
def cody(initech):
    """carol's colleague at Initech."""
    return SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user


def save(client, user, name, list_name="incidents", query="q=cracked&status=open", shared=False):
    client.force_login(user)
    data = {"name": name, "list_name": list_name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post(reverse("saved-view-create"), data)


def nav_names(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("home"), follow=True)
    return [saved.name for saved in response.context["saved_views"]]


def test_a_saved_view_opens_the_list_with_its_filters(client, alice):
    response = save(client, alice, "Open cracks")
    assert response.status_code == 302
    saved = SavedView.objects.get(name="Open cracks")
    assert response["Location"] == reverse("incidents") + "?q=cracked&status=open"
    opened = client.get(reverse("saved-view", args=[saved.pk]))
    assert opened["Location"] == reverse("incidents") + "?q=cracked&status=open"
    assert nav_names(client, alice) == ["Open cracks"]


def test_a_private_view_is_its_owners_alone(client, alice, alan, bob):
    save(client, alice, "Mine")
    saved = SavedView.objects.get()
    assert nav_names(client, alan) == []
    client.force_login(alan)
    assert client.get(reverse("saved-view", args=[saved.pk])).status_code == 404


def test_a_shared_view_reaches_colleagues_and_nobody_else(client, alice, alan, bob, carol):
    save(client, alice, "Team cracks", shared=True)
    saved = SavedView.objects.get()
    assert nav_names(client, alan) == ["Team cracks"]
    for outsider in (bob, carol):
        assert nav_names(client, outsider) == []
        client.force_login(outsider)
        assert client.get(reverse("saved-view", args=[saved.pk])).status_code == 404


def test_a_supplier_team_shares_views_of_the_portal_list(client, carol, cody, dave, alice):
    response = save(
        client, carol, "Severe ones", list_name="portal", query="severity=4", shared=True
    )
    assert response["Location"] == reverse("portal-incidents") + "?severity=4"
    assert nav_names(client, cody) == ["Severe ones"]
    assert nav_names(client, dave) == []
    assert nav_names(client, alice) == []


def test_colleagues_use_a_shared_view_but_only_its_owner_deletes_it(client, alice, alan):
    save(client, alice, "Team cracks", shared=True)
    saved = SavedView.objects.get()
    client.force_login(alan)
    client.post(reverse("saved-view-delete", args=[saved.pk]))
    assert SavedView.objects.filter(pk=saved.pk).exists()
    client.force_login(alice)
    client.post(reverse("saved-view-delete", args=[saved.pk]))
    assert not SavedView.objects.filter(pk=saved.pk).exists()


def test_a_buyer_cannot_save_a_view_of_the_portal(alice):
    with pytest.raises(ApplicationError):
        saved_view_save(owner=alice, name="x", list_name="portal", filters=[])


def test_only_the_lists_filters_are_kept(alice):
    saved = saved_view_save(
        owner=alice,
        name="Clean",
        list_name="incidents",
        filters=[("page", "3"), ("csrfmiddlewaretoken", "t"), ("status", "open"), ("q", "lid")],
    )
    assert saved.query == "q=lid&status=open"


def test_saving_under_the_same_name_replaces_the_filters(alice):
    saved_view_save(owner=alice, name="Mine", list_name="incidents", filters=[("q", "a")])
    saved_view_save(owner=alice, name="Mine", list_name="incidents", filters=[("q", "b")])
    assert list(SavedView.objects.values_list("query", flat=True)) == ["q=b"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "nul\x00"])
def test_a_bad_name_is_refused_with_a_message(client, alice, name):
    response = save(client, alice, name)
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Name of this view" in page


def test_another_persons_view_cannot_be_deleted_through_the_service(alice, alan):
    saved = saved_view_save(owner=alice, name="Mine", list_name="incidents", filters=[])
    with pytest.raises(ApplicationError):
        saved_view_delete(actor=alan, saved_view=saved)


def test_the_saved_filters_are_the_forms_fields():
    assert set(inputs.LIST_FILTERS["portal"]) == set(IncidentFilterForm.base_fields)
    assert set(inputs.LIST_FILTERS["incidents"]) == set(BuyerIncidentFilterForm.base_fields)


def test_the_list_page_offers_to_save_its_filters(client, alice):
    client.force_login(alice)
    page = client.get(reverse("incidents"), {"q": "cracked", "page": "2"}).content.decode()
    assert 'name="query" value="q=cracked"' in page


def test_filtering_in_place_keeps_the_save_form_in_step(client, alice):
    """The filters swap the results without reloading the page: the form that saves a view is
    swapped with them, so it saves what is shown."""
    client.force_login(alice)
    page = client.get(reverse("incidents"), {"q": "torn"}, HTTP_HX_REQUEST="true")
    assert '<form method="get"' not in page.content.decode()  # the fragment, not the page
    assert 'name="query" value="q=torn"' in page.content.decode()
