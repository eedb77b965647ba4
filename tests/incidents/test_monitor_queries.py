"""Keyword monitor queries (incidents.monitors): parsed, refused with a clear reason, and matched
as whole words in one pass over a post. Plain data, no database."""

from __future__ import annotations

import re

import pytest

from incidents.monitors import (
    MAX_TERMS,
    All,
    Any,
    MonitorMatcher,
    MonitorSpec,
    Not,
    QueryError,
    Term,
    parse_query,
)


def test_words_side_by_side_must_all_appear():
    assert parse_query("crushed cartons") == All((Term("crushed"), Term("cartons")))


def test_operators_phrases_and_parentheses():
    assert parse_query('("crushed cartons" OR dented) AND NOT test') == All(
        (Any((Term("crushed cartons"), Term("dented"))), Not(Term("test")))
    )


def test_terms_compare_as_the_supplier_matcher_folds_them():
    assert parse_query("Straße ÜBER") == All((Term("strasse"), Term("über")))


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "Write the words"),
        ('"crushed cartons', "quotation mark is not closed"),
        ("(crushed OR dented", '"(" is not closed'),
        ("crushed)", '")" closes nothing'),
        ("NOT late", "not only exclude"),
        ("late OR NOT weather", "not only exclude"),
        ("late OR", "cannot be read"),
        ("AND", "cannot be read"),
        ('late ""', "phrase is empty"),
        (" ".join(f"w{n}" for n in range(MAX_TERMS + 1)), f"at most {MAX_TERMS}"),
        ("x" * 1001, "at most 1000 characters"),
    ],
)
def test_a_query_that_cannot_run_is_refused_with_a_reason(query, reason):
    with pytest.raises(QueryError, match=re.escape(reason)):
        parse_query(query)


def test_ten_thousand_terms_are_refused_quickly():
    with pytest.raises(QueryError):
        parse_query(" OR ".join(f"w{n}" for n in range(10_000)))


MATCHER = MonitorMatcher(
    [
        MonitorSpec(1, '"crushed cartons" OR dented'),
        MonitorSpec(2, "late delivery NOT weather"),
        MonitorSpec(3, "cartons", supplier_ids=frozenset({7})),
        MonitorSpec(4, "NOT late"),  # saved before the rules changed: left out, not fatal
    ]
)


@pytest.mark.parametrize(
    ("text", "suppliers", "found"),
    [
        ("Our CRUSHED cartons arrived today", [], [1]),
        ("Two dented drums", [], [1]),
        ("Late again: the delivery slipped", [], [2]),
        ("Late delivery because of the weather", [], []),
        ("Latest delivery news", [], []),  # whole words only
        ("cartons everywhere", [7], [3]),
        ("cartons everywhere", [8], []),
        ("crushed cartons and late delivery", [7], [1, 2, 3]),
        ("nothing to see", [], []),
    ],
)
def test_a_post_satisfies_the_monitors_whose_query_holds(text, suppliers, found):
    assert MATCHER.match(text, suppliers) == found


def test_no_monitors_match_nothing():
    assert MonitorMatcher([]).match("crushed cartons") == []


@pytest.mark.parametrize(
    "query", ["(" * 200 + "late" + ")" * 200, "NOT " * 240 + "late", "late " * 30 + "NOT x " * 60]
)
def test_a_pathological_query_is_refused_not_crashed(query):
    with pytest.raises(QueryError):
        parse_query(query)


def test_a_long_query_parses_quickly():
    """Linear time: a full-length query of fifty terms and parentheses (no clock in the test:
    a parser that backtracks takes minutes here, not milliseconds)."""
    query = " ".join(f'(a{n} OR "b c{n}")' for n in range(24))
    assert len(parse_query(query).operands) == 24


def test_a_compiled_query_agrees_with_the_query_on_every_set_of_terms():
    """The matcher evaluates queries compiled into set operations (monitors.compiled): for every
    subset of their terms, the same answer as reading the query (monitors.holds)."""
    from itertools import combinations

    from incidents.monitors import compiled, holds, terms_of

    queries = [
        "late",
        "late wet",
        "late OR wet OR torn",
        "(late OR wet) torn",
        "late AND NOT (wet OR torn)",
        '("torn pallet" OR wet) AND NOT (late OR rust) dent',
        "NOT late wet OR (torn AND NOT (rust OR NOT dent))",
        "(late wet) OR (torn rust)",
    ]
    for query in queries:
        node = parse_query(query)
        test = compiled(node)
        terms = sorted(terms_of(node))
        for size in range(len(terms) + 1):
            for found in combinations(terms, size):
                assert test(frozenset(found)) == holds(node, frozenset(found)), (query, found)


def test_the_matcher_finds_what_reading_each_query_finds():
    """Monitors are candidates only for the terms they want (not those they only exclude):
    the matcher still answers, for every text, what each query says."""
    from itertools import combinations

    from incidents.monitors import holds

    queries = [
        "late AND NOT wet",
        "NOT late wet OR (torn AND NOT (rust OR NOT dent))",
        "(late OR wet) torn",
        "dent",
    ]
    matcher = MonitorMatcher(MonitorSpec(n, query) for n, query in enumerate(queries, start=1))
    words = ["late", "wet", "torn", "rust", "dent"]
    for size in range(len(words) + 1):
        for found in combinations(words, size):
            expected = [
                n
                for n, query in enumerate(queries, start=1)
                if holds(parse_query(query), frozenset(found))
            ]
            assert matcher.match(" and ".join(found) or "nothing") == expected, found
