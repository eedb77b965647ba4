"""Importing suppliers and their aliases from a JSON file: re-runnable, record by record."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents import engines
from suppliers.models import Supplier, SupplierAlias
from suppliers.services import suppliers_import
from tests.factories import SupplierAliasFactory, SupplierFactory
from tests.helpers import SHARED_DATA, require

pytestmark = pytest.mark.django_db

AIRLINE_CONTEXT = (
    "flight,flights,airline,plane,gate,luggage,bag,bags,seat,crew,pilot,boarding,delayed,cancelled"
)

UNITED = {
    "name": "United Airlines",
    "handles": ["@united"],
    "aliases": ["United Airlines", "United"],
    "hashtags": ["#UnitedAirlines"],
}
JETBLUE = {
    "name": "JetBlue",
    "handles": ["@JetBlue"],
    "aliases": ["JetBlue", "Jet Blue"],
    "hashtags": ["#JetBlue"],
}


def _aliases(supplier: Supplier) -> set[tuple[str, str]]:
    return set(supplier.aliases.values_list("kind", "text"))


def _run(tmp_path: Path, records, *args: str) -> tuple[str, str]:
    path = tmp_path / "suppliers.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_suppliers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- creating and re-importing -------------------------------------------------------------------


def test_import_creates_each_supplier_with_its_name_handles_aliases_and_hashtags():
    result = suppliers_import(records=[UNITED, JETBLUE])

    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
    united = Supplier.objects.get(slug="united-airlines")
    assert united.name == "United Airlines"
    # The alias spelled like the name is the name alias, not a second copy of it.
    assert _aliases(united) == {
        ("name", "United Airlines"),
        ("alias", "United"),
        ("handle", "@united"),
        ("hashtag", "#UnitedAirlines"),
    }
    assert _aliases(Supplier.objects.get(name="JetBlue")) == {
        ("name", "JetBlue"),
        ("alias", "Jet Blue"),
        ("handle", "@JetBlue"),
        ("hashtag", "#JetBlue"),
    }


def test_importing_the_same_records_twice_changes_nothing():
    suppliers_import(records=[UNITED, JETBLUE])
    before = list(SupplierAlias.objects.order_by("id").values_list("id", "updated_at"))

    result = suppliers_import(records=[UNITED, JETBLUE])

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (result.aliases_added, result.aliases_removed) == (0, 0)
    assert Supplier.objects.count() == 2
    # Untouched rows keep their timestamps, so the matcher is not rebuilt for nothing.
    assert list(SupplierAlias.objects.order_by("id").values_list("id", "updated_at")) == before


def test_reimport_finds_suppliers_by_name_case_insensitively_and_applies_updates():
    suppliers_import(records=[UNITED])
    changed = {
        "name": "united airlines",
        "handles": ["@united", "@UnitedCare"],
        "aliases": ["United"],
        "hashtags": ["#unitedairlines"],
        "website": "https://www.united.com/",
        "context_words": ["flight", "gate"],
    }

    result = suppliers_import(records=[changed])

    assert (result.created, result.updated, result.aliases_added) == (0, 1, 1)
    united = Supplier.objects.get()
    assert united.name == "united airlines"
    assert united.website == "https://www.united.com/"
    assert united.context_words == ["flight", "gate"]
    kinds_and_texts = _aliases(united)
    assert ("handle", "@UnitedCare") in kinds_and_texts
    # Same alias in another case: updated in place, never a duplicate.
    assert ("hashtag", "#unitedairlines") in kinds_and_texts
    assert united.aliases.filter(kind="hashtag").count() == 1
    # Aliases are compared case-insensitively, so the name alias takes the new spelling.
    assert list(united.aliases.filter(kind="name").values_list("text", flat=True)) == [
        "united airlines"
    ]


def test_a_slug_in_the_record_finds_the_supplier_even_when_it_was_renamed():
    suppliers_import(records=[{**UNITED, "slug": "united"}])

    result = suppliers_import(records=[{**UNITED, "slug": "united", "name": "United"}])

    assert result.updated == 1
    supplier = Supplier.objects.get()
    assert (supplier.slug, supplier.name) == ("united", "United")
    # The old name remains an alias until pruned: posts still say "United Airlines".
    assert {"United Airlines", "United"} <= set(
        supplier.aliases.filter(kind="name").values_list("text", flat=True)
    )


def test_renaming_onto_another_suppliers_name_is_refused():
    suppliers_import(records=[{**UNITED, "slug": "united"}, JETBLUE])

    result = suppliers_import(records=[{**UNITED, "slug": "united", "name": "jetblue"}])

    assert [(e.index, e.message) for e in result.errors] == [
        (0, "name: another supplier is already called 'jetblue'")
    ]
    assert Supplier.objects.get(slug="united").name == "United Airlines"


def test_new_supplier_whose_slug_is_taken_gets_a_numbered_one():
    SupplierFactory(name="US Airways", slug="us-airways")

    suppliers_import(records=[{"name": "U.S. Airways"}])

    assert Supplier.objects.get(name="U.S. Airways").slug == "us-airways-2"


def test_handles_keep_their_at_sign_and_hashtags_their_hash_even_when_the_file_omits_them():
    suppliers_import(
        records=[{"name": "Acme", "handles": ["acme", "@AcmeHelp"], "hashtags": ["acmefail"]}]
    )

    handles = set(SupplierAlias.objects.filter(kind="handle").values_list("text", flat=True))
    assert handles == {"@acme", "@AcmeHelp"}
    assert SupplierAlias.objects.get(kind="hashtag").text == "#acmefail"


def test_optional_fields_domains_products_and_ambiguity_overrides():
    suppliers_import(
        records=[
            {
                "name": "Delta Air Lines",
                "aliases": ["Delta"],
                "domains": ["https://www.Delta.com/"],
                "products": ["SkyMiles"],
                "ambiguous": {"delta": True, "SkyMiles": False},
            }
        ]
    )

    delta = Supplier.objects.get()
    flags = dict(delta.aliases.values_list("text", "is_ambiguous"))
    assert flags == {
        "Delta Air Lines": None,
        "Delta": True,
        "www.delta.com": None,
        "SkyMiles": False,
    }


def test_ambiguous_key_is_authoritative_when_present_and_left_alone_when_absent():
    suppliers_import(records=[{**UNITED, "ambiguous": {"United": True}}])
    alias = SupplierAlias.objects.get(kind="alias", text="United")
    assert alias.is_ambiguous is True

    suppliers_import(records=[UNITED])
    alias.refresh_from_db()
    assert alias.is_ambiguous is True

    result = suppliers_import(records=[{**UNITED, "ambiguous": {}}])
    alias.refresh_from_db()
    assert alias.is_ambiguous is None
    assert result.updated == 1


# --- pruning ---------------------------------------------------------------------------------


def test_aliases_no_longer_listed_stay_without_prune_and_go_with_it():
    suppliers_import(records=[UNITED])
    shorter = {**UNITED, "aliases": ["United Airlines"], "hashtags": []}

    kept = suppliers_import(records=[shorter])
    united = Supplier.objects.get()
    assert ("alias", "United") in _aliases(united)
    assert kept.unchanged == 1

    pruned = suppliers_import(records=[shorter], prune=True)
    assert pruned.aliases_removed == 2
    assert pruned.updated == 1
    assert _aliases(united) == {("name", "United Airlines"), ("handle", "@united")}


def test_prune_leaves_alias_kinds_the_record_does_not_mention():
    suppliers_import(records=[UNITED])
    united = Supplier.objects.get()
    SupplierAliasFactory(supplier=united, kind="product", text="MileagePlus")

    result = suppliers_import(records=[UNITED], prune=True)

    assert result.aliases_removed == 0
    assert ("product", "MileagePlus") in _aliases(united)


def test_prune_from_the_command_line(tmp_path):
    _run(tmp_path, [UNITED])

    out, _ = _run(tmp_path, [{**UNITED, "aliases": []}], "--prune")

    assert "aliases added 0, removed 1" in out
    assert not SupplierAlias.objects.filter(kind="alias").exists()


# --- context words -------------------------------------------------------------------------------


def test_context_words_option_applies_only_to_records_without_their_own(tmp_path):
    own = {**JETBLUE, "context_words": ["mint"]}

    _run(tmp_path, [UNITED, own], "--context-words", AIRLINE_CONTEXT)

    assert Supplier.objects.get(name="United Airlines").context_words == AIRLINE_CONTEXT.split(",")
    assert Supplier.objects.get(name="JetBlue").context_words == ["mint"]


def test_without_the_option_existing_context_words_are_kept():
    suppliers_import(records=[UNITED], default_context_words=["flight"])

    result = suppliers_import(records=[UNITED])

    assert result.unchanged == 1
    assert Supplier.objects.get().context_words == ["flight"]


def test_imported_aliases_and_context_words_reach_the_matcher():
    suppliers_import(records=[UNITED, JETBLUE], default_context_words=["flight"])
    united = Supplier.objects.get(name="United Airlines")

    matcher = engines.get_matcher()

    assert [m.supplier_id for m in matcher.match("@united lost my bag")] == [united.pk]
    assert [m.supplier_id for m in matcher.match("I flew United and my flight was late")] == [
        united.pk
    ]
    assert matcher.match("we stand united") == []


# --- bad records and bad files -------------------------------------------------------------------


def test_bad_records_are_reported_with_index_and_name_and_the_rest_imported(tmp_path):
    records = [
        UNITED,
        {"handles": ["@nobody"]},
        {**JETBLUE, "handles": "@JetBlue"},
        "not an object",
        {"name": "Typo Air", "hashtag": ["#typo"]},
        {"name": "Acme", "ambiguous": {"Nope": True}},
        {"name": "Southwest Airlines", "handles": ["@SouthwestAir"]},
        {"name": "US Airways", "website": "not a url"},
        {"name": "   "},
    ]

    out, err = _run(tmp_path, records)

    assert err.splitlines() == [
        "record 1: name: required",
        "record 2 (JetBlue): handles: expected a list of strings",
        "record 3: expected an object with at least a name",
        "record 4 (Typo Air): unknown key(s) hashtag; known keys are aliases, ambiguous, "
        "context_words, description, domains, handles, hashtags, name, products, slug, website",
        "record 5 (Acme): ambiguous: 'Nope' is not the name, an alias or a product",
        "record 7 (US Airways): website: 'not a url' is not an http(s) address",
        "record 8: name: must not be empty",
    ]
    assert "suppliers created 2" in out
    assert "not imported 7" in out
    assert set(Supplier.objects.values_list("name", flat=True)) == {
        "United Airlines",
        "Southwest Airlines",
    }


def test_text_the_database_cannot_store_is_a_record_error():
    result = suppliers_import(
        records=[{"name": "Nul\x00Air"}, {"name": "Odd", "aliases": ["\ud800"]}, UNITED]
    )

    assert [str(error) for error in result.errors] == [
        "record 0 (Nul\x00Air): name: contains a NUL character",
        "record 1 (Odd): aliases: not valid Unicode text",
    ]
    assert list(Supplier.objects.values_list("name", flat=True)) == ["United Airlines"]


def test_the_same_supplier_twice_in_one_file_is_reported():
    result = suppliers_import(records=[UNITED, {**UNITED, "name": "UNITED AIRLINES"}])

    assert result.created == 1
    assert [(e.index, e.message) for e in result.errors] == [(1, "the same supplier as record 0")]


def test_ambiguity_cannot_be_set_on_handles():
    result = suppliers_import(records=[{**UNITED, "ambiguous": {"@united": True}}])

    assert "is a handle" in result.errors[0].message
    assert not Supplier.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON: .* line 1, column 2"),
        ('{"name": "Acme"}', "must hold a JSON list"),
        ('"just a string"', "must hold a JSON list"),
    ],
)
def test_a_file_that_cannot_be_parsed_is_a_command_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        call_command("import_suppliers", str(path), stdout=StringIO(), stderr=StringIO())


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_suppliers", str(tmp_path / "nope.json"), stdout=StringIO())


def test_a_file_that_is_not_utf8_is_a_command_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"name": "Caf\xe9"}]'.encode("latin-1"))

    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_suppliers", str(path), stdout=StringIO())


def test_object_with_a_suppliers_list_is_accepted(tmp_path):
    out, _ = _run(tmp_path, {"suppliers": [UNITED]})

    assert "suppliers created 1" in out


def test_dry_run_reports_but_saves_nothing(tmp_path):
    out, _ = _run(tmp_path, [UNITED, JETBLUE], "--dry-run")

    assert "suppliers created 2" in out
    assert "dry run" in out
    assert not Supplier.objects.exists()


# --- the real file -----------------------------------------------------------------------------


def test_importing_the_six_airlines_twice(tmp_path):
    path = SHARED_DATA / "airlines-suppliers.json"
    require(path.exists(), f"{path} is not here")

    first = StringIO()
    call_command("import_suppliers", str(path), "--context-words", AIRLINE_CONTEXT, stdout=first)
    second = StringIO()
    call_command("import_suppliers", str(path), stdout=second)

    assert "suppliers created 6" in first.getvalue()
    assert "unchanged 6" in second.getvalue()
    assert Supplier.objects.count() == 6
    assert SupplierAlias.objects.filter(kind="handle").count() == 6
    american = Supplier.objects.get(name="American Airlines")
    assert american.context_words == AIRLINE_CONTEXT.split(",")
    assert ("handle", "@AmericanAir") in _aliases(american)
