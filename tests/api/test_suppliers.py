"""Suppliers over the API: search, upserting an ERP's vendor codes, and aliases."""

from __future__ import annotations

import pytest

from suppliers.models import Supplier, SupplierAlias, VendorCode
from tests.factories import SupplierAliasFactory, SupplierFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/suppliers/vendor-codes/"


def upsert(client, rows):
    return client.post(URL, {"suppliers": rows}, format="json")


def test_search_by_name_alias_or_own_vendor_code(api, world):
    SupplierAliasFactory(supplier=world.umbrella, kind="handle", text="@UmbrellaPack")
    client = api.client("acme")

    def found(query):
        results = client.get("/api/v1/suppliers/", {"search": query}).json()["results"]
        return {item["slug"] for item in results}

    assert found("initech") == {"initech-components"}
    assert found("@umbrellapack") == {"umbrella-packaging"}
    assert found("A-200") == {"umbrella-packaging"}
    assert found("G-1") == set()  # Globex's code


def test_a_search_with_a_nul_character_is_a_400(api, world):
    response = api.client("acme").get("/api/v1/suppliers/", {"search": "Ini\x00tech"})
    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]


def test_upsert_links_codes_to_existing_suppliers_and_creates_missing_ones(api, world):
    SupplierAliasFactory(supplier=world.umbrella, kind="alias", text="Umbrella")
    suppliers_before = Supplier.objects.count()
    response = upsert(
        api.client("globex"),
        [
            {"vendor_code": "G-1", "name": "Initech Components"},  # already linked
            {"vendor_code": "G-2", "name": "  umbrella  "},  # an alias, any case
            {
                "vendor_code": "G-3",
                "name": "Nakatomi Fasteners",
                "website": "https://nakatomi.example/",
            },
            {"vendor_code": "G-4", "name": "NAKATOMI FASTENERS"},  # the one just created
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["linked"], body["relinked"], body["unchanged"]) == (1, 2, 0, 1)
    assert body["rejected"] == []
    outcomes = {
        row["vendor_code"]: (row["supplier"]["slug"], row["outcome"]) for row in body["results"]
    }
    assert outcomes == {
        "G-1": ("initech-components", "unchanged"),
        "G-2": ("umbrella-packaging", "linked"),
        "G-3": ("nakatomi-fasteners", "created"),
        "G-4": ("nakatomi-fasteners", "linked"),
    }
    assert Supplier.objects.count() == suppliers_before + 1
    nakatomi = Supplier.objects.get(slug="nakatomi-fasteners")
    assert nakatomi.website == "https://nakatomi.example/"
    assert nakatomi.aliases.filter(kind="name", text="Nakatomi Fasteners").exists()


def test_upserting_twice_changes_nothing_the_second_time(api, world):
    rows = [{"vendor_code": f"V{n}", "name": f"Supplier number {n}"} for n in range(20)]
    first = upsert(api.client("acme"), rows).json()
    count = Supplier.objects.count()
    second = upsert(api.client("acme"), rows).json()
    assert first["created"] == 20
    assert second["unchanged"] == 20
    assert Supplier.objects.count() == count


def test_a_code_moves_to_the_supplier_its_row_names_now(api, world):
    body = upsert(
        api.client("acme"), [{"vendor_code": "A-100", "name": "Umbrella Packaging"}]
    ).json()
    assert body["relinked"] == 1
    assert VendorCode.objects.get(organization=world.acme, code="A-100").supplier == world.umbrella
    # Globex's own code for Initech is untouched.
    assert VendorCode.objects.get(organization=world.globex, code="G-1").supplier == world.initech


def test_an_existing_suppliers_details_are_not_changed_by_one_organization(api, world):
    upsert(
        api.client("acme"),
        [
            {
                "vendor_code": "A-100",
                "name": "initech components",
                "website": "https://evil.example/",
            }
        ],
    )
    world.initech.refresh_from_db()
    assert world.initech.name == "Initech Components"
    assert world.initech.website != "https://evil.example/"


def test_rows_that_cannot_be_written_are_rejected_by_index(api, world):
    a, b = SupplierFactory(name="Delta Parts"), SupplierFactory(name="Delta Tools")
    SupplierAliasFactory(supplier=a, kind="alias", text="Delta")
    SupplierAliasFactory(supplier=b, kind="alias", text="Delta")
    body = upsert(
        api.client("acme"),
        [
            {"vendor_code": "A-1", "name": "Delta"},  # ambiguous alias
            {"vendor_code": "A-2", "name": "Fine Supplier"},
            {"vendor_code": "A-2", "name": "Fine Supplier"},  # the same code twice
        ],
    ).json()
    assert [row["index"] for row in body["rejected"]] == [0, 2]
    assert "2 suppliers" in body["rejected"][0]["reason"]
    assert "row 1" in body["rejected"][1]["reason"]
    assert body["created"] == 1


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([], "suppliers"),
        ([{"vendor_code": "", "name": "X"}], "suppliers.0.vendor_code"),
        ([{"vendor_code": "V1"}], "suppliers.0.name"),
        ([{"vendor_code": "V1", "name": "X", "website": "ftp://x"}], "suppliers.0.website"),
        ([{"vendor_code": "V" * 65, "name": "X"}], "suppliers.0.vendor_code"),
    ],
)
def test_malformed_rows_are_a_400_naming_the_field(api, world, rows, field):
    response = upsert(api.client("acme"), rows)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_at_most_a_thousand_rows(api, world):
    rows = [{"vendor_code": f"V{n}", "name": f"S{n}"} for n in range(1001)]
    response = upsert(api.client("acme"), rows)
    assert response.status_code == 400
    assert "suppliers" in response.json()["error"]["fields"]


# --- aliases ----------------------------------------------------------------------------------


def test_supplier_adds_its_own_handle_once(api, world):
    client = api.client("initech")
    url = "/api/v1/suppliers/initech-components/aliases/"
    first = client.post(url, {"kind": "handle", "text": "InitechCare"}, format="json")
    assert first.status_code == 201
    # The supplier's own alias is matched at once.
    assert first.json() == {"kind": "handle", "text": "@InitechCare", "state": "active"}
    again = client.post(url, {"kind": "handle", "text": "@initechcare"}, format="json")
    assert again.status_code == 200
    assert SupplierAlias.objects.filter(supplier=world.initech, kind="handle").count() == 1
    listed = client.get(url).json()
    assert {"kind": "handle", "text": "@InitechCare", "state": "active"} in listed


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"kind": "name", "text": "Initech"}, "kind", 400),  # not in the schema's enum
        ({"kind": "domain", "text": "not a domain"}, "text", 422),  # a string the rule refuses
        ({"kind": "hashtag", "text": "two words"}, "text", 422),
        ({"kind": "alias", "text": ""}, "text", 400),
    ],
)
def test_an_invalid_alias_names_the_field(api, world, body, field, status):
    response = api.client("initech").post(
        "/api/v1/suppliers/initech-components/aliases/", body, format="json"
    )
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]
