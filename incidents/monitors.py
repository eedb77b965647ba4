"""Keyword monitors: saved queries over public posts. Pure: a query in, a parsed query or a clear
error out; posts' texts in, the monitors they satisfy out; no Django import.

A query is words and "quoted phrases" combined with AND, OR and NOT (upper case) and parentheses;
words side by side must all appear (`crushed cartons` is `crushed AND cartons`). Terms compare as
the supplier matcher compares aliases (matching.normalise: entities decoded, NFKC, casefolded) and
as whole words ("late" is not in "latest").

Matching costs what supplier matching costs: every monitor's terms sit in one Aho-Corasick
automaton, a post is scanned once, and only the monitors whose terms it contains evaluate their
boolean query (compiled once into set operations), on the set of terms found
(bench/bench_monitors.py measures it). The number of monitors does not slow a post that names
none of their terms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TypeAlias

import ahocorasick
import pyparsing as pp

from .normalising import IS_WORD_CHAR, normalise

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 50
MAX_TERM_LENGTH = 100
MAX_NESTING = 10
_NOT = re.compile(r"\bNOT\b")


class QueryError(ValueError):
    """A query that cannot be saved, with a sentence that says why."""


# A parsed query: a term, or an operator with its operands.
Node: TypeAlias = "Term | Not | All | Any"


@dataclass(frozen=True)
class Term:
    text: str  # normalised


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class All:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    operands: tuple[Node, ...]


def _grammar() -> pp.ParserElement:
    """query := any; any := all (OR all)*; all := one (AND? one)*; one := NOT one | atom;
    atom := word | "phrase" | ( query ). Each level is tried once per position, so parsing
    takes time linear in the query."""
    and_, or_, not_ = (pp.Keyword(word) for word in ("AND", "OR", "NOT"))
    word = ~(and_ | or_ | not_) + pp.Regex(r'[^\s"()]+')
    phrase = pp.QuotedString('"', unquote_results=True)
    term = (phrase | word).set_parse_action(lambda tokens: Term(normalise(tokens[0]).strip()))
    query = pp.Forward()
    one = pp.Forward()
    atom = term | pp.Suppress("(") + query + pp.Suppress(")")
    one <<= (pp.Suppress(not_) + one).set_parse_action(lambda t: Not(t[0])) | atom

    def joined(kind: type[All] | type[Any]) -> Callable[[pp.ParseResults], Node]:
        def build(tokens: pp.ParseResults) -> Node:
            operands = tuple(tokens)
            return operands[0] if len(operands) == 1 else kind(operands)

        return build

    # Terms side by side must all appear, as in every search box: AND may go unwritten.
    every = (one + (pp.Suppress(pp.Opt(and_)) + one)[...]).set_parse_action(joined(All))
    query <<= (every + (pp.Suppress(or_) + every)[...]).set_parse_action(joined(Any))
    return query


_GRAMMAR = _grammar()


def terms_of(node: Node) -> frozenset[str]:
    if isinstance(node, Term):
        return frozenset({node.text})
    if isinstance(node, Not):
        return terms_of(node.operand)
    return frozenset().union(*(terms_of(operand) for operand in node.operands))


def wanted_terms(node: Node, negated: bool = False) -> frozenset[str]:
    """The terms whose presence can make the query hold: those not under a NOT (or under two).
    A query holds for no text without its terms (parse_query), and finding only terms it
    excludes cannot make it hold, so a post is checked against a monitor only when it contains
    one of these."""
    if isinstance(node, Term):
        return frozenset() if negated else frozenset({node.text})
    if isinstance(node, Not):
        return wanted_terms(node.operand, not negated)
    return frozenset().union(*(wanted_terms(operand, negated) for operand in node.operands))


def holds(node: Node, found: frozenset[str] | set[str]) -> bool:
    """Whether a text containing exactly the terms `found` satisfies the query."""
    if isinstance(node, Term):
        return node.text in found
    if isinstance(node, Not):
        return not holds(node.operand, found)
    if isinstance(node, All):
        return all(holds(operand, found) for operand in node.operands)
    return any(holds(operand, found) for operand in node.operands)


# A query compiled for matching: whether a text containing exactly these terms satisfies it.
Test: TypeAlias = Callable[[AbstractSet[str]], bool]


def compiled(node: Node) -> Test:
    """`holds` for one query, built once: terms side by side or alternatives become one set
    operation (C speed), so that a post that many monitors' terms appear in is checked against
    each of them in a few operations rather than by walking its query's tree."""
    if isinstance(node, Term):
        text = node.text
        return lambda found: text in found
    if isinstance(node, Not):
        operand = compiled(node.operand)
        return lambda found: not operand(found)
    terms = frozenset(o.text for o in node.operands if isinstance(o, Term))
    others = tuple(compiled(o) for o in node.operands if not isinstance(o, Term))
    if isinstance(node, All):
        if not others:
            return terms.issubset
        return lambda found: terms.issubset(found) and all(test(found) for test in others)
    if not others:
        return lambda found: not terms.isdisjoint(found)
    return lambda found: not terms.isdisjoint(found) or any(test(found) for test in others)


def parse_query(query: str) -> Node:
    """The query parsed, or QueryError saying what is wrong with it."""
    text = (query or "").strip()
    if not text:
        raise QueryError("Write the words or phrases to look for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"A query has at most {MAX_QUERY_LENGTH} characters.")
    if text.count('"') % 2:
        raise QueryError('A quotation mark is not closed: put phrases between two " marks.')
    depth = deepest = 0
    for char in _outside_quotes(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
        if depth < 0:
            raise QueryError('A ")" closes nothing.')
    if depth:
        raise QueryError('A "(" is not closed.')
    # The parser recurses once per level: a bound keeps a pathological query from exhausting it.
    if deepest > MAX_NESTING or len(_NOT.findall(text)) > MAX_TERMS:
        raise QueryError(
            f"Parentheses nest at most {MAX_NESTING} deep, and a query has at most "
            f"{MAX_TERMS} NOTs."
        )
    try:
        node = _GRAMMAR.parse_string(text, parse_all=True)[0]
    except pp.ParseBaseException as error:
        raise QueryError(
            f"The query cannot be read near “{text[error.loc : error.loc + 20] or text[-20:]}”: "
            'use words, "phrases", AND, OR, NOT and parentheses.'
        ) from None
    terms = terms_of(node)
    if "" in terms:
        raise QueryError("A phrase is empty.")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"A query has at most {MAX_TERMS} different words and phrases.")
    if any(len(term) > MAX_TERM_LENGTH for term in terms):
        raise QueryError(f"A word or phrase has at most {MAX_TERM_LENGTH} characters.")
    if holds(node, frozenset()):
        # It would hold for a post that contains none of its terms: every post.
        raise QueryError("A query must look for something, not only exclude (NOT) words.")
    return node


def _outside_quotes(text: str) -> Iterable[str]:
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            yield char


@dataclass(frozen=True)
class MonitorSpec:
    id: int
    query: str
    # Only posts that name one of these suppliers; empty: any post.
    supplier_ids: frozenset[int] = frozenset()


class MonitorMatcher:
    """Every monitor's terms in one automaton; ``match`` gives the monitors a post satisfies.

    A monitor whose query no longer parses (saved before a rule changed) is left out rather than
    stopping the others."""

    def __init__(self, monitors: Iterable[MonitorSpec]) -> None:
        self._queries: dict[int, tuple[Test, frozenset[int]]] = {}
        by_term: dict[str, list[int]] = defaultdict(list)
        for monitor in monitors:
            try:
                node = parse_query(monitor.query)
            except QueryError:
                continue
            self._queries[monitor.id] = (compiled(node), monitor.supplier_ids)
            wanted = wanted_terms(node)
            for term in terms_of(node):
                # A term only excluded is looked for, but makes no monitor a candidate.
                by_term[term].extend([monitor.id] if term in wanted else [])
        self._automaton = ahocorasick.Automaton()
        for term, monitor_ids in by_term.items():
            self._automaton.add_word(term, (len(term), term, tuple(monitor_ids)))
        self.size = len(by_term)
        if self.size:
            self._automaton.make_automaton()

    def match(self, text: str, supplier_ids: Iterable[int] = ()) -> list[int]:
        """The ids of the monitors whose query `text` satisfies, among those limited to none of
        or to one of `supplier_ids` (the suppliers the post names)."""
        if not self.size:
            return []
        norm = normalise(text)
        length = len(norm)
        found: set[str] = set()
        candidates: set[int] = set()
        for last, (key_length, term, monitor_ids) in self._automaton.iter(norm):
            start, end = last - key_length + 1, last + 1
            if start and IS_WORD_CHAR[norm[start - 1]]:
                continue
            if end < length and IS_WORD_CHAR[norm[end]]:
                continue
            found.add(term)
            candidates.update(monitor_ids)
        named = frozenset(supplier_ids)
        matched = []
        for monitor_id in candidates:
            test, limit = self._queries[monitor_id]
            if (not limit or not limit.isdisjoint(named)) and test(found):
                matched.append(monitor_id)
        matched.sort()
        return matched
