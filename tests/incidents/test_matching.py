"""The supplier matcher: pure Python, no database, no Django settings."""

from __future__ import annotations

import csv
import gc
import html
import os
import string
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.matching import (
    AliasSpec,
    Match,
    Matcher,
    SupplierSpec,
    is_common_word,
)
from incidents.normalising import normalise
from tests.helpers import SHARED_DATA, require

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The six airlines of ../shared/data/airlines-suppliers.json, as the supplier list.
AIRLINES = [
    {
        "id": 1,
        "name": "Virgin America",
        "handles": ["@VirginAmerica"],
        "aliases": ["Virgin America", "VX"],
        "hashtags": ["#VirginAmerica"],
    },
    {
        "id": 2,
        "name": "United Airlines",
        "handles": ["@united"],
        "aliases": ["United Airlines", "United"],
        "hashtags": ["#UnitedAirlines"],
    },
    {
        "id": 3,
        "name": "Southwest Airlines",
        "handles": ["@SouthwestAir"],
        "aliases": ["Southwest Airlines", "Southwest", "SWA"],
        "hashtags": ["#SouthwestAir"],
    },
    {
        "id": 4,
        "name": "JetBlue",
        "handles": ["@JetBlue"],
        "aliases": ["JetBlue", "Jet Blue"],
        "hashtags": ["#JetBlue"],
    },
    {
        "id": 5,
        "name": "US Airways",
        "handles": ["@USAirways"],
        "aliases": ["US Airways", "USAirways", "USAir"],
        "hashtags": ["#USAirways"],
    },
    {
        "id": 6,
        "name": "American Airlines",
        "handles": ["@AmericanAir"],
        "aliases": ["American Airlines", "American", "AA"],
        "hashtags": ["#AmericanAirlines"],
    },
]
VIRGIN, UNITED, SOUTHWEST, JETBLUE, US_AIRWAYS, AMERICAN = range(1, 7)
NAMES = {airline["name"]: airline["id"] for airline in AIRLINES}
AIRLINE_CONTEXT = (
    "flight",
    "flights",
    "airline",
    "plane",
    "gate",
    "luggage",
    "bag",
    "seat",
    "crew",
)


def airline_aliases() -> list[AliasSpec]:
    specs = []
    for airline in AIRLINES:
        sid = airline["id"]
        specs.append(AliasSpec(sid, airline["name"], "name", alias_id=sid * 100))
        specs += [AliasSpec(sid, text, "handle") for text in airline["handles"]]
        specs += [AliasSpec(sid, text, "alias") for text in airline["aliases"]]
        specs += [AliasSpec(sid, text, "hashtag") for text in airline["hashtags"]]
    return specs


AIRLINE_ALIASES = airline_aliases()
AIRLINE_SUPPLIERS = [SupplierSpec(airline["id"], AIRLINE_CONTEXT) for airline in AIRLINES]
# Built once, as production builds it once per process; hypothesis examples share it.
MATCHER = Matcher(AIRLINE_ALIASES, AIRLINE_SUPPLIERS)


def found(text: str, matcher: Matcher = MATCHER) -> list[tuple[int, str, str]]:
    """(supplier, kind, the text as written) for each match, the primary first."""
    return [(m.supplier_id, m.kind, text[m.start : m.end]) for m in matcher.match(text)]


def primary(text: str, matcher: Matcher = MATCHER) -> int | None:
    matches = matcher.match(text)
    return matches[0].supplier_id if matches else None


def only(*specs: AliasSpec, context: tuple[str, ...] = ()) -> Matcher:
    return Matcher(specs, [SupplierSpec(spec.supplier_id, context) for spec in specs])


# Word boundaries and punctuation


def test_handle_matches_whatever_its_case():
    assert found("@United my bag is lost") == [(UNITED, "handle", "@United")]


def test_handle_does_not_match_inside_a_longer_handle():
    assert found("@unitedstates is a country") == []


def test_handle_followed_by_a_colon_matches():
    assert found("RT @united: we are sorry") == [(UNITED, "handle", "@united")]


def test_handle_inside_an_email_address_does_not_match():
    assert found("write to crew@united.com") == []


def test_name_does_not_match_inside_a_longer_word():
    delta = only(AliasSpec(7, "Delta", "alias", ambiguous=False))
    assert found("Deltas and deltaforce", delta) == []
    assert found("Delta", delta) == [(7, "alias", "Delta")]
    assert found("xJetBlue JetBluex") == []


@pytest.mark.parametrize(
    ("text", "supplier", "kind", "written"),
    [
        ("(JetBlue) lost it", JETBLUE, "name", "JetBlue"),
        ("Never again, JetBlue!", JETBLUE, "name", "JetBlue"),
        ("JetBlue's seats are fine", JETBLUE, "name", "JetBlue"),
        ("JetBlue\u2019s seats are fine", JETBLUE, "name", "JetBlue"),
        ('"JetBlue" again', JETBLUE, "name", "JetBlue"),
        ("@JetBlue: thanks", JETBLUE, "handle", "@JetBlue"),
        ("Southwest's gate agent was rude", SOUTHWEST, "alias", "Southwest"),
    ],
)
def test_punctuation_and_possessives_around_a_name(text, supplier, kind, written):
    assert found(text) == [(supplier, kind, written)]


def test_apostrophe_inside_a_word_is_not_a_boundary():
    hare = only(AliasSpec(7, "Hare", "alias", ambiguous=False))
    assert found("stuck at O'Hare again", hare) == []
    assert found("Hare's delivery was late", hare) == [(7, "alias", "Hare")]


def test_longest_alias_wins_at_a_position():
    assert found("Flew United Airlines today") == [(UNITED, "name", "United Airlines")]
    assert found("US Airways and USAirways, not USAirwaysX") == [(US_AIRWAYS, "name", "US Airways")]
    assert found("booked on USAir") == [(US_AIRWAYS, "alias", "USAir")]


def test_a_longer_alias_cut_off_mid_word_leaves_the_shorter_one():
    matcher = only(
        AliasSpec(4, "JetBlue", "name"), AliasSpec(4, "JetBlue Airways", "alias", alias_id=9)
    )
    assert found("JetBlue Airwaysx", matcher) == [(4, "name", "JetBlue")]
    assert found("JetBlue Airways", matcher) == [(4, "alias", "JetBlue Airways")]


def test_name_matches_in_a_hashtag_but_the_hashtag_alias_is_preferred():
    name_only = only(AliasSpec(4, "JetBlue", "name"))
    assert found("love #JetBlue", name_only) == [(4, "name", "JetBlue")]
    assert found("love #JetBlue") == [(JETBLUE, "hashtag", "#JetBlue")]
    assert found("love #JetBlueFail") == []


def test_name_does_not_match_an_unregistered_handle():
    name_only = only(AliasSpec(4, "JetBlue", "name"))
    assert found("thanks @JetBlue", name_only) == []


def test_domain_alias_matches_the_domain_and_its_addresses():
    initech = only(AliasSpec(9, "https://www.Initech.com/", "domain"))
    assert found("see initech.com/support", initech) == [(9, "domain", "initech.com")]
    assert found("mail qa@initech.com", initech) == [(9, "domain", "initech.com")]
    assert found("see notinitech.com", initech) == []


# Normalisation and offsets into the original text


def test_html_entities_are_decoded_and_spans_cover_the_entity():
    att = only(AliasSpec(8, "AT&T", "name", ambiguous=False))
    text = "AT&amp;T dropped the order"
    assert found(text, att) == [(8, "name", "AT&amp;T")]
    text = "ask &#64;united why"
    assert found(text) == [(UNITED, "handle", "&#64;united")]


def test_fullwidth_and_case_variants_match():
    assert found("ＪｅｔＢｌｕｅ rocks") == [(JETBLUE, "name", "ＪｅｔＢｌｕｅ")]
    assert found("JETBLUE ROCKS") == [(JETBLUE, "name", "JETBLUE")]


def test_spans_map_back_after_normalisation_changes_lengths():
    text = "Straße ﬁne \u2026 e\u0301 &amp; 😀 @JetBlue then United Airlines"
    assert found(text) == [
        (JETBLUE, "handle", "@JetBlue"),
        (UNITED, "name", "United Airlines"),
    ]


def test_spans_cover_whole_original_characters_and_entities():
    matcher = only(
        AliasSpec(7, "Strasse", "name", ambiguous=False),
        AliasSpec(8, "AT&T", "name", ambiguous=False),
        AliasSpec(9, "fine", "name", ambiguous=False),
    )
    assert found("\ufb01ne: Stra\u00dfe &amp; AT&amp;T", matcher) == [
        (9, "name", "\ufb01ne"),
        (7, "name", "Stra\u00dfe"),
        (8, "name", "AT&amp;T"),
    ]
    assert normalise("Stra\u00dfe &amp; \ufb01ne") == "strasse & fine"


def test_a_combining_mark_on_the_last_letter_makes_another_word():
    assert found("JetBlu\u0065\u0301 and JetBlue\u0331") == []


# Ambiguous aliases


def test_common_words_are_detected_with_wordfreq():
    for word in ("United", "American", "Delta", "Target", "Apple", "southwest"):
        assert is_common_word(word), word
    for word in ("JetBlue", "USAirways", "SWA", "Jet Blue", "United Airlines"):
        assert not is_common_word(word), word


def test_ordinary_word_without_evidence_is_not_a_match():
    assert found("united we stand") == []
    assert found("We stand United, all of us") == []
    assert found("an American classic") == []


def test_proper_noun_near_a_context_word_is_a_match():
    text = "I flew United yesterday and the flight was late"
    assert found(text) == [(UNITED, "alias", "United")]
    assert MATCHER.match(text)[0].confidence < MATCHER.match("@united")[0].confidence


def test_lowercase_ordinary_word_needs_more_than_a_context_word():
    assert found("I flew united yesterday and the flight was late") == []


def test_context_word_must_be_near():
    far = "I like United because the people there are kind and warm, unlike my last flight"
    assert found(far) == []


def test_capital_at_sentence_start_proves_less_than_one_mid_sentence():
    opening = MATCHER.match("United lost my bag")
    after_handle = MATCHER.match("@someone United lost my bag")
    middle = MATCHER.match("Yesterday United lost my bag")
    assert [m.supplier_id for m in opening + after_handle + middle] == [UNITED] * 3
    assert opening[0].confidence == after_handle[0].confidence < middle[0].confidence
    assert MATCHER.match("Fine. United lost my bag")[0].confidence == opening[0].confidence


def test_ambiguous_alias_without_context_words_never_matches_alone():
    apple = Matcher([AliasSpec(7, "Apple", "name")], [SupplierSpec(7)])
    assert found("Apple shipped the wrong parts", apple) == []


def test_explicit_flag_overrides_detection():
    plain_apple = only(AliasSpec(7, "Apple", "name", ambiguous=False))
    assert found("an apple a day", plain_apple) == [(7, "name", "apple")]
    careful_jetblue = only(AliasSpec(4, "JetBlue", "name", ambiguous=True), context=("flight",))
    assert found("JetBlue is great", careful_jetblue) == []
    assert found("my JetBlue flight", careful_jetblue) == [(4, "name", "JetBlue")]


def test_handle_flagged_ambiguous_needs_only_a_context_word():
    matcher = only(AliasSpec(7, "@delta", "handle", ambiguous=True), context=("flight",))
    assert found("ask @delta", matcher) == []
    assert found("ask @delta about the flight", matcher) == [(7, "handle", "@delta")]


def test_alias_shared_by_suppliers_is_settled_by_context():
    shared = Matcher(
        [AliasSpec(10, "Apex Systems", "name"), AliasSpec(11, "Apex Systems", "name")],
        [SupplierSpec(10, ("delivery",)), SupplierSpec(11, ("software",))],
    )
    assert found("The Apex Systems delivery came late", shared) == [(10, "name", "Apex Systems")]
    assert found("The Apex Systems software crashed", shared) == [(11, "name", "Apex Systems")]


# Several suppliers and the primary one


def test_each_supplier_named_becomes_one_match_with_its_best_mention():
    matches = MATCHER.match("#UnitedAirlines United Airlines @united and JetBlue")
    assert [(m.supplier_id, m.kind, m.is_primary) for m in matches] == [
        (UNITED, "handle", True),
        (JETBLUE, "name", False),
    ]
    assert matches[0].confidence > matches[1].confidence


def test_confidence_ranks_handles_over_names_over_ambiguous_mentions():
    text = "@JetBlue beats Virgin America and the American flight crew"
    by_supplier = {m.supplier_id: m.confidence for m in MATCHER.match(text)}
    assert by_supplier[JETBLUE] > by_supplier[VIRGIN] > by_supplier[AMERICAN]


def test_leading_handles_make_the_primary_in_order():
    assert primary("@JetBlue @united my flight") == JETBLUE
    assert primary(".@united @JetBlue my flight") == UNITED
    assert primary("@someone @USAirways: no, JetBlue did it") == US_AIRWAYS


def test_without_leading_handle_the_first_strong_mention_is_primary():
    assert primary("@someone says JetBlue should ask @united") == JETBLUE
    assert primary("I flew United and the flight was fine; next time JetBlue") == JETBLUE


def test_without_strong_mention_the_first_mention_is_primary():
    text = "I flew United yesterday, the flight was late, and then American lost my bag"
    assert [m.supplier_id for m in MATCHER.match(text)] == [UNITED, AMERICAN]


def test_match_carries_the_alias_as_configured():
    (match,) = MATCHER.match("what a day at JETBLUE")
    assert match == Match(
        supplier_id=JETBLUE,
        alias_id=JETBLUE * 100,
        alias_text="JetBlue",
        kind="name",
        start=14,
        end=21,
        confidence=match.confidence,
        is_primary=True,
    )


def test_empty_matcher_and_empty_text():
    assert Matcher([]).match("@united") == []
    assert MATCHER.match("") == []


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown alias kind"):
        Matcher([AliasSpec(1, "x", "nickname")])


def test_version_is_kept():
    assert Matcher([], version=7).version == 7


def test_building_leaves_garbage_collection_as_it_was():
    assert gc.isenabled()
    Matcher(AIRLINE_ALIASES, AIRLINE_SUPPLIERS)
    with pytest.raises(ValueError):
        Matcher([AliasSpec(1, "x", "nickname")])
    assert gc.isenabled()
    gc.disable()
    try:
        Matcher(AIRLINE_ALIASES)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_module_imports_without_django():
    code = "import sys, incidents.matching; sys.exit('django' in sys.modules)"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, check=False)
    assert result.returncode == 0


# Properties

TRICKY = [
    "@united",
    "@United",
    "United",
    "JetBlue",
    "#JetBlue",
    "US Airways",
    "flight",
    " ",
    "\n",
    ".",
    "'s",
    "&amp;",
    "&",
    "&#64;",
    "@",
    "#",
    "ß",
    "ﬁ",
    "İ",
    "\u0301",
    "\u0331",
    "😀",
    "ＪｅｔＢｌｕｅ",
    "\u2026",
    "\ufb01",
]
posts = st.lists(st.sampled_from(TRICKY) | st.text(max_size=4), max_size=25).map("".join)


def assert_well_formed(text: str, matches: list[Match]) -> None:
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
    assert len({match.supplier_id for match in matches}) == len(matches)
    if matches:
        assert [match.is_primary for match in matches].count(True) == 1
        assert matches[0].is_primary


@given(st.text() | posts)
def test_no_text_crashes_the_matcher_and_spans_stay_inside_it(text):
    assert_well_formed(text, MATCHER.match(text))


@settings(deadline=None, max_examples=50)
@given(st.permutations(AIRLINE_ALIASES), posts)
def test_results_do_not_depend_on_alias_order(aliases, text):
    reordered = Matcher(aliases, reversed(AIRLINE_SUPPLIERS))
    assert reordered.match(text) == MATCHER.match(text)


@given(posts, posts)
def test_a_handle_between_spaces_is_found_where_it_was_written(prefix, suffix):
    text = f"{prefix} @JetBlue {suffix}"
    spans = [text[m.start : m.end] for m in MATCHER.match(text) if m.supplier_id == JETBLUE]
    assert spans
    assert normalise(spans[0]) == "@jetblue"


# Other terms in the same pass (the keyword monitors' words and phrases)

TERMS = frozenset({"late", "lost bag", "united", "@jetblue", "southwest", "hare"})
WITH_TERMS = Matcher(AIRLINE_ALIASES, AIRLINE_SUPPLIERS, terms=TERMS)


def test_a_search_finds_the_suppliers_and_the_terms_in_one_pass():
    matches, terms = WITH_TERMS.search("@JetBlue LATE again, lost bag. Latest: united we stand")
    assert [m.supplier_id for m in matches] == [JETBLUE]
    assert sorted(terms) == ["@jetblue", "late", "lost bag", "united"]


def test_a_term_counts_as_a_whole_word_where_a_name_would_not():
    """After "@" (another account) or an apostrophe inside a word, a name is no mention of its
    supplier; the word is still written there."""
    assert WITH_TERMS.search("@Southwest said O'Hare") == ([], ["southwest", "hare"])
    assert WITH_TERMS.search("Latest unitedly") == ([], [])


def test_a_matcher_of_terms_alone_finds_them():
    assert Matcher([], terms=["late", ""]).search("late, so late") == ([], ["late", "late"])


@given(st.text() | posts)
def test_terms_change_no_supplier_match(text):
    assert WITH_TERMS.match(text) == MATCHER.match(text)


# The real tweets


@pytest.mark.slow
def test_real_tweets_are_matched_to_their_airline():
    path = SHARED_DATA / "airline-tweets-dev.csv"
    require(path.is_file(), f"needs the airline tweets at {path}")
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    right = sum(primary(row["text"]) == NAMES[row["airline"]] for row in rows)
    assert len(rows) > 7000
    assert right / len(rows) >= 0.99, f"{right} of {len(rows)} tweets"


def fold_reference(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@given(st.text().filter(lambda text: "&" not in text))
def test_normalising_in_pieces_equals_normalising_the_whole(text):
    assert normalise(text) == fold_reference(text)


ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x40;", "&nbsp;", "&Eacute;", "&amp", "&"]


@given(st.lists(st.sampled_from(ENTITIES) | st.text(alphabet=string.printable), max_size=20))
def test_entities_decode_as_html_unescape_does(pieces):
    text = "".join(pieces)
    assert normalise(text) == fold_reference(html.unescape(text))
