"""A report's PO number is its organization's: it names the customer to a supplier. When the buyer
also typed it into the report's words, those words, which every viewer of the incident reads, lose
it when the report is stored (incidents.inputs.redact_po_number, called by the one input rule of
reports); the PO number field keeps it for whoever may know who reported."""

from __future__ import annotations

import pytest
from django.apps import apps

from incidents import services
from incidents.inputs import PO_PLACEHOLDER, clean_report, redact_po_number
from incidents.models import Post
from integrations.services import api_key_issue
from tests.api.conftest import Keys
from tests.factories import BuyerPostFactory, defect_category

TYPED = "PO-ACME-77 arrived with 40 cracked housings; PO ACME 77 must be replaced."


@pytest.mark.parametrize(
    ("text", "po_number", "stored"),
    [
        ("Our PO-ACME-77 arrived cracked", "PO-ACME-77", "Our [PO number] arrived cracked"),
        ("po acme 77, again", "PO-ACME-77", "[PO number], again"),
        ("Order ACME77 late", "PO-ACME-77", "Order [PO number] late"),
        ("PO#4500123 late", "4500123", "[PO number] late"),
        ("P.O. No. 4500123 late", "PO 4500123", "[PO number] late"),
        ("PO: 4500-123 and 4500123", "PO4500123", "[PO number] and [PO number]"),
        # Another number that merely contains it is not it.
        ("Ref 45001234, x4500123y", "4500123", "Ref 45001234, x4500123y"),
        # Too short to name anyone, and blanking it would blank ordinary numbers.
        ("100 units, PO 100", "100", "100 units, PO 100"),
        ("No PO given", "", "No PO given"),
    ],
)
def test_the_po_number_is_taken_out_of_the_text_however_it_is_written(text, po_number, stored):
    assert redact_po_number(text, po_number) == stored


def test_the_input_rule_of_reports_stores_the_text_without_its_po_number():
    report = clean_report(text=TYPED, visibility="anonymous", severity=2, po_number=" PO-ACME-77 ")
    assert "ACME" not in report.text.upper()
    assert report.text.count(PO_PLACEHOLDER) == 2
    assert report.po_number == "PO-ACME-77"


@pytest.fixture
def typed(django_capture_on_commit_callbacks, alice, initech) -> Post:
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_report(
            author=alice,
            supplier=initech,
            text=TYPED,
            category=defect_category(),
            po_number="PO-ACME-77",
            lot="L-7",
        )
    post.refresh_from_db()
    return post


@pytest.mark.django_db
def test_supplier_and_other_buyers_cannot_read_the_po_number_in_the_text(
    client, typed, initech, globex, carol
):
    incident = typed.matches.get().incident
    for party in ({"supplier": initech}, {"organization": globex}):
        key = Keys(raw={"key": api_key_issue(name="key", **party).key}).client("key")
        body = key.get(f"/api/v1/incidents/{incident.pk}/posts/").content.decode()
        assert "ACME" not in body.upper()
        assert PO_PLACEHOLDER in body
    client.force_login(carol)
    page = client.get(f"/portal/incidents/{incident.pk}/").content.decode()
    assert "ACME" not in page.upper()
    # Nor find it: the portal's search reads the words of the reports.
    found = client.get("/portal/incidents/", {"q": "ACME-77"}).content.decode()
    assert f"/portal/incidents/{incident.pk}/" not in found


@pytest.mark.django_db
def test_the_reporting_organization_keeps_its_po_number(typed, acme):
    key = Keys(raw={"key": api_key_issue(name="key", organization=acme).key}).client("key")
    (mine,) = key.get("/api/v1/posts/").json()["results"]
    assert mine["po_number"] == "PO-ACME-77"
    assert mine["text"].startswith(PO_PLACEHOLDER)


@pytest.mark.django_db
def test_an_operators_correction_of_the_text_keeps_the_po_number_out(typed, operator):
    services.post_update(post=typed, actor=operator, text="Again: po-acme-77 cracked.")
    typed.refresh_from_db()
    assert typed.text == f"Again: {PO_PLACEHOLDER} cracked."


@pytest.mark.django_db
def test_the_migration_takes_the_po_number_out_of_reports_stored_before(initech, acme, alice):
    from importlib import import_module

    migration = import_module("incidents.migrations.0009_reports_text_without_po_number")
    before = BuyerPostFactory(
        organization=acme, author=alice, supplier=initech, text=TYPED, po_number="PO-ACME-77"
    )
    untouched = BuyerPostFactory(organization=acme, author=alice, supplier=initech, text="Late.")
    migration.redact(apps, None)
    before.refresh_from_db()
    untouched.refresh_from_db()
    assert "ACME" not in before.text.upper()
    assert before.po_number == "PO-ACME-77"
    assert untouched.text == "Late."
