"""Keyword monitor queries (incidents.monitors): parsed, refused with a clear reason, and matched
as whole words in one pass over a post. Plain data, no database."""

from __future__ import annotations

import re
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.matching import Matcher
from incidents.monitors import (
    MAX_TERMS,
    All,
    Any,
    MonitorMatcher,
    MonitorSpec,
    Not,
    QueryError,
    Term,
    holds,
    parse_query,
)
from incidents.normalising import IS_WORD_CHAR, normalise
from tests.helpers import SHARED_DATA, require


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


def test_a_query_s_alternatives_agree_with_the_query_on_every_set_of_terms():
    """The matcher looks queries up by their alternatives (monitors.clauses_of): for every
    subset of their terms, some alternative holds exactly when reading the query says so."""
    from itertools import combinations

    from incidents.monitors import clauses_of, holds, terms_of

    queries = [
        "late",
        "late wet",
        "late OR wet OR torn",
        "(late OR wet) torn",
        "late AND NOT (wet OR torn)",
        "late AND NOT (wet torn)",
        '("torn pallet" OR wet) AND NOT (late OR rust) dent',
        "NOT late wet OR (torn AND NOT (rust OR NOT dent))",
        "(late wet) OR (torn rust)",
        "late AND NOT late OR wet",
    ]
    for query in queries:
        node = parse_query(query)
        clauses = clauses_of(node)
        assert clauses is not None and all(wants for wants, _ in clauses), query
        terms = sorted(terms_of(node))
        for size in range(len(terms) + 1):
            for found in combinations(terms, size):
                expanded = any(
                    wants.issubset(found) and excludes.isdisjoint(found)
                    for wants, excludes in clauses
                )
                assert expanded == holds(node, frozenset(found)), (query, found)


def test_a_query_with_too_many_alternatives_is_read_whole():
    """(a OR b) (c OR d) ... multiplies its alternatives: past MAX_CLAUSES the matcher reads the
    query itself, when a term it wants is found, and still finds what the query says."""
    from incidents.monitors import MAX_CLAUSES, clauses_of

    pairs = [(f"a{n}", f"b{n}") for n in range(6)]
    query = " ".join(f"({a} OR {b})" for a, b in pairs)
    assert 2 ** len(pairs) > MAX_CLAUSES and clauses_of(parse_query(query)) is None
    matcher = MonitorMatcher([MonitorSpec(1, query), MonitorSpec(2, f"{query} NOT x")])
    every_pair = " ".join(a for a, _ in pairs[:3]) + " " + " ".join(b for _, b in pairs[3:])
    assert matcher.match(every_pair) == [1, 2]
    assert matcher.match(every_pair + " x") == [1]
    assert matcher.match(" ".join(a for a, _ in pairs[1:])) == []


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


WORDS = ["late", "wet", "torn", "rust", "dent", "lost bag"]
terms = st.sampled_from(WORDS).map(lambda word: f'"{word}"' if " " in word else word)
queries = st.recursive(
    terms,
    lambda inner: (
        inner.map(lambda query: f"NOT ({query})")
        | st.lists(inner, min_size=2, max_size=3).map(lambda qs: " ".join(f"({q})" for q in qs))
        | st.lists(inner, min_size=2, max_size=3).map(lambda qs: " OR ".join(f"({q})" for q in qs))
    ),
    max_leaves=12,
)


@settings(deadline=None, max_examples=200)
@given(
    st.lists(st.tuples(queries, st.frozensets(st.sampled_from([7, 8, 9]), max_size=2)), max_size=6),
    st.frozensets(st.sampled_from([7, 8, 9])),
)
def test_the_monitors_satisfied_are_those_whose_query_holds_for_any_queries(monitors, named):
    """Whatever the queries (shared alternatives, exclusions, supplier limits), the monitors that
    the terms found in a post satisfy are those whose query, read as written, holds."""
    readable = {}
    for number, (query, limit) in enumerate(monitors, start=1):
        try:
            readable[number] = (parse_query(query), limit)
        except QueryError:
            continue
    matcher = MonitorMatcher(
        MonitorSpec(number, monitors[number - 1][0], limit)
        for number, (_, limit) in readable.items()
    )
    searcher = Matcher([], terms=matcher.terms)
    for size in range(len(WORDS) + 1):
        for found in combinations(WORDS, size):
            expected = {
                number
                for number, (node, limit) in readable.items()
                if holds(node, frozenset(found)) and (not limit or limit & named)
            }
            text = " and ".join(found) or "nothing"
            assert matcher.satisfied(searcher.search(text)[1], named) == expected, found


def _contains(norm: str, term: str) -> bool:
    """Whether `term` stands in the normalised text as a whole word: a plain string search."""
    start = norm.find(term)
    while start >= 0:
        end = start + len(term)
        if not (start and IS_WORD_CHAR[norm[start - 1]]) and not (
            end < len(norm) and IS_WORD_CHAR[norm[end]]
        ):
            return True
        start = norm.find(term, start + 1)
    return False


@pytest.mark.slow
def test_real_tweets_satisfy_the_bench_s_monitors_whose_query_holds():
    """bench_monitors' 1,000 monitors and 1,000 supplier aliases over the real tweets, matched as
    the pipeline matches a post (one search, then the monitors its terms satisfy): each tweet
    satisfies the monitors whose query holds for the terms it contains, found here by a plain
    string search rather than the automaton, and whose supplier limit the suppliers it names meet."""
    path = SHARED_DATA / "airline-tweets-dev.csv"
    require(path.is_file(), f"needs the airline tweets at {path}")
    from bench.bench_matching import alias_set, load_tweets
    from bench.bench_monitors import ingest_matching, monitor_queries

    aliases, suppliers = alias_set(1_000)
    specs = monitor_queries(1_000, sorted({supplier.id for supplier in suppliers}))
    monitors = MonitorMatcher(specs)
    match = ingest_matching(Matcher(aliases, suppliers, terms=monitors.terms), monitors)
    suppliers_of = Matcher(aliases, suppliers).match
    queries = [(spec.id, parse_query(spec.query), spec.supplier_ids) for spec in specs]
    satisfying = 0
    for text in load_tweets():
        norm = normalise(text)
        present = frozenset(term for term in monitors.terms if _contains(norm, term))
        named = {m.supplier_id for m in suppliers_of(text)}
        expected = {
            monitor_id
            for monitor_id, node, limit in queries
            if present and holds(node, present) and (not limit or limit & named)
        }
        assert match(text) == expected, text
        satisfying += bool(expected)
    assert satisfying > 3_000
