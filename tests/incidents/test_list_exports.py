"""The export buttons of the incident lists: CSV and XLSX with the list's filters, the viewer's
visibility, the API export's columns and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from incidents import services
from incidents.exports import COLUMNS
from incidents.models import Post
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(acme, globex, initech, umbrella, alice):
    shared = IncidentFactory(supplier=initech, title="Cracked housings", post_count=1)
    PostMatchFactory(
        post=BuyerPostFactory(organization=acme, author=alice, supplier=initech, text="cracked"),
        supplier=initech,
        incident=shared,
    )
    private = IncidentFactory(supplier=initech, title="Acme's own secret", post_count=0)
    PostMatchFactory(
        post=BuyerPostFactory(
            organization=acme,
            author=alice,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            text="secret",
        ),
        supplier=initech,
        incident=private,
    )
    formula = IncidentFactory(supplier=umbrella, title='=HYPERLINK("http://evil")', post_count=1)
    return {"shared": shared, "private": private, "formula": formula}


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(response) -> list[dict[str, object]]:
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    header, *rows = list(book.active.iter_rows(values_only=True))
    assert tuple(header) == COLUMNS
    # A row ends at its last filled cell.
    return [dict(zip(header, row, strict=False)) for row in rows]


def test_the_csv_export_has_the_lists_filters_and_the_viewers_incidents(client, world, bob):
    client.force_login(bob)
    rows = csv_rows(client.get(reverse("incidents-export", args=["csv"]), {"q": "cracked"}))
    assert [row["title"] for row in rows] == ["Cracked housings"]
    everything = csv_rows(client.get(reverse("incidents-export", args=["csv"])))
    assert "Acme's own secret" not in {row["title"] for row in everything}


def test_the_organizations_own_private_incident_is_in_its_export(client, world, alice):
    client.force_login(alice)
    rows = csv_rows(client.get(reverse("incidents-export", args=["csv"]), {"q": "secret"}))
    assert [row["title"] for row in rows] == ["Acme's own secret"]


def test_the_xlsx_export_neutralises_formulas_and_keeps_numbers(client, world, bob):
    client.force_login(bob)
    rows = xlsx_rows(client.get(reverse("incidents-export", args=["xlsx"])))
    titles = {row["title"] for row in rows}
    assert titles == {"Cracked housings", '\'=HYPERLINK("http://evil")'}
    assert all(isinstance(row["posts"], int) for row in rows)


def test_the_csv_export_neutralises_formulas(client, world, bob):
    client.force_login(bob)
    rows = csv_rows(client.get(reverse("incidents-export", args=["csv"])))
    assert '\'=HYPERLINK("http://evil")' in {row["title"] for row in rows}


def test_the_portal_export_holds_only_the_suppliers_incidents(client, world, carol):
    client.force_login(carol)
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(client.get(reverse("portal-incidents-export", args=[fmt])))
        assert [row["title"] for row in rows] == ["Cracked housings"]


@pytest.fixture
def eight_d(world, carol, ivy):
    """The shared incident's 8D: D3 done yesterday (owned by Ivy), D4 overdue, D5 started."""
    today = timezone.localdate()
    incident = world["shared"]
    services.eightd_update(
        incident=incident,
        discipline="d3",
        actor=carol,
        text="Quarantined",
        owner=ivy,
        done_on=today - timedelta(days=1),
    )
    services.eightd_update(
        incident=incident, discipline="d4", actor=carol, owner=ivy, due_on=today - timedelta(days=2)
    )
    services.eightd_update(incident=incident, discipline="d5", actor=carol, text="New tooling")
    return today - timedelta(days=1)


def test_the_exports_carry_the_8d_progress_without_its_owners(client, world, eight_d, bob):
    client.force_login(bob)
    response = client.get(reverse("incidents-export", args=["csv"]), {"q": "cracked"})
    text = b"".join(response.streaming_content).decode()
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["eight_d_done"], row["eight_d_overdue"]) == ("1", "1")
    assert row["d3_done_on"] == eight_d.isoformat()
    assert all(row[f"d{n}_done_on"] == "" for n in (1, 2, 4, 5, 6, 7, 8))
    # Who owns a discipline is the supplier's own business.
    assert "Ivy" not in text
    assert "ivy@initech.test" not in text
    [cells] = xlsx_rows(client.get(reverse("incidents-export", args=["xlsx"]), {"q": "cracked"}))
    assert (cells["eight_d_done"], cells["eight_d_overdue"]) == (1, 1)
    # A workbook holds the done date as a date, not as text.
    assert cells["d3_done_on"] in (eight_d, datetime.combine(eight_d, datetime.min.time()))
    assert cells.get("d4_done_on") is None


def test_the_portal_export_carries_the_8d_progress_too(client, world, eight_d, carol):
    client.force_login(carol)
    response = client.get(reverse("portal-incidents-export", args=["csv"]))
    text = b"".join(response.streaming_content).decode()
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["eight_d_done"], row["d3_done_on"]) == ("1", eight_d.isoformat())
    assert "Ivy" not in text


def test_an_incident_without_an_8d_exports_it_as_not_started(client, world, bob):
    client.force_login(bob)
    rows = csv_rows(client.get(reverse("incidents-export", args=["csv"]), {"q": "cracked"}))
    assert (rows[0]["eight_d_done"], rows[0]["eight_d_overdue"], rows[0]["d1_done_on"]) == (
        "0",
        "0",
        "",
    )


def test_an_unknown_format_is_a_404(client, world, bob):
    client.force_login(bob)
    assert client.get(reverse("incidents-export", args=["pdf"])).status_code == 404


def test_exports_belong_to_their_lists_people(client, world, bob, carol):
    client.force_login(carol)
    assert client.get(reverse("incidents-export", args=["csv"])).status_code == 403
    client.force_login(bob)
    assert client.get(reverse("portal-incidents-export", args=["csv"])).status_code == 403


def test_the_lists_offer_both_exports_with_their_filters(client, world, bob, carol):
    client.force_login(bob)
    page = client.get(reverse("incidents"), {"q": "cracked"}).content.decode()
    assert reverse("incidents-export", args=["csv"]) + "?q=cracked" in page
    assert reverse("incidents-export", args=["xlsx"]) + "?q=cracked" in page
    client.force_login(carol)
    page = client.get(reverse("portal-incidents")).content.decode()
    assert reverse("portal-incidents-export", args=["xlsx"]) in page


def _export_hrefs(page: str, url_name: str) -> list[str]:
    """The export links of a page to this export (both formats), unescaped."""
    prefix = reverse(url_name, args=["csv"]).removesuffix("csv/")
    return [html.unescape(href) for href in re.findall(rf'href="({re.escape(prefix)}[^"]+)"', page)]


@pytest.mark.parametrize(
    ("persona", "page_url", "url_name", "expected"),
    [
        # The supplier page: its open incidents, then every incident about it.
        ("alice", "/suppliers/initech-components/", "incidents-export", ["shared", "private"]),
        # The buyer dashboard's latest open incidents: every open incident.
        ("bob", "/buyer/", "incidents-export", ["formula", "shared"]),
        # The portal dashboard's overdue and open incidents.
        ("carol", "/portal/", "portal-incidents-export", ["shared"]),
    ],
)
def test_the_lists_of_the_dashboards_and_supplier_pages_export_what_they_list(
    request, client, world, persona, page_url, url_name, expected
):
    world["shared"].status = "acknowledged"
    world["shared"].save()
    client.force_login(request.getfixturevalue(persona))
    page = client.get(page_url).content.decode()
    hrefs = _export_hrefs(page, url_name)
    assert hrefs, f"no export of {page_url}"
    for href in hrefs:
        response = client.get(href)
        rows = csv_rows(response) if "/csv/" in href else xlsx_rows(response)
        assert {int(row["id"]) for row in rows} <= {world[name].pk for name in expected}
    open_export = next(href for href in hrefs if "status=open" in href and "/csv/" in href)
    exported = [int(row["id"]) for row in csv_rows(client.get(open_export))]
    assert sorted(exported) == sorted(world[name].pk for name in expected)


def test_an_export_costs_a_fixed_number_of_queries(
    client, world, bob, umbrella, django_assert_max_num_queries
):
    for index in range(40):
        IncidentFactory(supplier=umbrella, title=f"Torn wrap {index}", post_count=1)
    client.force_login(bob)
    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(reverse("incidents-export", args=["csv"])))
    assert len(rows) == 42


@pytest.mark.slow
def test_a_large_xlsx_export_streams_every_row(client, world, bob, umbrella):
    """3,000 rows stream out as one workbook (write-only mode: rows go to a temporary file). Its
    memory is a figure for benchmarks, not a bound for a test on a busy machine."""
    from io import BytesIO

    from openpyxl import load_workbook

    supplier = SupplierFactory()
    IncidentFactory.create_batch(3000, supplier=supplier, post_count=1, title="Bulk row")
    client.force_login(bob)
    response = client.get(reverse("incidents-export", args=["xlsx"]))
    assert response.status_code == 200
    assert response.streaming
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).active
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles.count("Bulk row") == 3000
