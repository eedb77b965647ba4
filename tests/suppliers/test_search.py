"""Searching the suppliers, by one rule for every channel, and the input rules around it."""

from __future__ import annotations

import pytest

from suppliers.inputs import WEBSITE_MAX, clean_search, clean_website
from suppliers.selectors import supplier_choices, supplier_directory, supplier_search
from supplierwatch.inputs import InputError
from tests.factories import SupplierAliasFactory, VendorCodeFactory

# --- the rules (pure: no database) -------------------------------------------------------------


def test_a_search_is_stripped_and_a_nul_character_is_refused_naming_the_field():
    assert clean_search("  Initech ") == "Initech"
    assert clean_search(None) == ""
    with pytest.raises(InputError) as refused:
        clean_search("Ini\x00tech")
    assert refused.value.field == "search"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("  https://initech.example/  ", "https://initech.example/"),
        ("HTTP://initech.example", "HTTP://initech.example"),
    ],
)
def test_a_website_is_an_http_address_with_a_domain_name(value, expected):
    assert clean_website(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not a url", "website: 'not a url' is not an http(s) address"),
        ("ftp://initech.example", "website: 'ftp://initech.example' is not an http(s) address"),
        ("https://localhost/", "website: 'https://localhost/' is not an http(s) address"),
        (
            "https://" + "a" * WEBSITE_MAX + ".example",
            f"website: longer than {WEBSITE_MAX} characters",
        ),
        (42, "website: expected a string"),
    ],
)
def test_a_website_refusal_says_why(value, reason):
    with pytest.raises(InputError) as refused:
        clean_website(value)
    assert str(refused.value) == reason


# --- the selectors -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_search_with_a_nul_character_finds_nothing_on_the_page_and_is_refused_elsewhere(initech):
    SupplierAliasFactory(supplier=initech, text="Initech")
    assert supplier_choices(query="Initech", organization_id=None) == [initech]
    assert supplier_choices(query="Ini\x00tech", organization_id=None) == []
    with pytest.raises(InputError):
        supplier_search(query="Ini\x00tech")


@pytest.mark.django_db
def test_without_an_organization_the_directory_shows_no_vendor_codes(
    initech, acme, django_assert_max_num_queries
):
    VendorCodeFactory(organization=acme, supplier=initech, code="A-1")
    with django_assert_max_num_queries(2):  # the suppliers, their aliases; no vendor codes
        operators = list(supplier_directory(organization_id=None, supplier_id=None))
    assert [supplier.own_vendor_codes for supplier in operators] == [[]]
    buyers = list(supplier_directory(organization_id=acme.pk, supplier_id=None))
    assert [[link.code for link in supplier.own_vendor_codes] for supplier in buyers] == [["A-1"]]
