"""Keyword monitors: saved queries over public posts. Pure: a query in, a parsed query or a clear
error out; posts' texts in, the monitors they satisfy out; no Django import.

A query is words and "quoted phrases" combined with AND, OR and NOT (upper case) and parentheses;
words side by side must all appear (`crushed cartons` is `crushed AND cartons`). Terms compare as
the supplier matcher compares aliases (matching.normalise: entities decoded, NFKC, casefolded) and
as whole words ("late" is not in "latest").

Matching costs what supplier matching costs, and happens in the same pass: every monitor's terms
sit in the supplier matcher's automaton (``Matcher(terms=MonitorMatcher.terms)``), whose
``search`` gives the terms a post contains along with the suppliers it names; ``satisfied`` then
reads the monitors off those terms. Each query is expanded once, when the matcher is built, into
the alternatives that make it hold (``clauses_of``: terms that must all be found, terms that must
not be), identical alternatives of different monitors merged; a post looks up only the
alternatives whose terms it contains, so a monitor that one found term satisfies outright (a word,
a list of ORs) costs nothing more, and the number of monitors does not slow a post that names none
of their terms (bench/bench_monitors.py measures it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import pyparsing as pp

from .matching import Matcher
from .normalising import normalise

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


# One way a query holds: every term of the first set found and none of the second.
Clause: TypeAlias = tuple[frozenset[str], frozenset[str]]
# Alternatives past this many are not worth expanding: such a query is read whole (holds) instead.
MAX_CLAUSES = 32


def clauses_of(node: Node, negated: bool = False) -> list[Clause] | None:
    """The ways the query (or its negation) holds, as alternatives (its disjunctive normal form,
    without alternatives that want and exclude one term); None if there are more than
    MAX_CLAUSES. Every alternative of a query that parse_query accepts wants a term: one that
    wanted none would hold for a text without any of its terms."""
    if isinstance(node, Term):
        term = frozenset({node.text})
        return [(frozenset(), term)] if negated else [(term, frozenset())]
    if isinstance(node, Not):
        return clauses_of(node.operand, not negated)
    parts = [clauses_of(operand, negated) for operand in node.operands]
    if any(part is None for part in parts):
        return None
    alternatives: list[Clause] = []
    if isinstance(node, Any) != negated:  # OR, or NOT over AND: any one of them
        alternatives = [clause for part in parts for clause in part or ()]
    else:  # AND, or NOT over OR: one of each at once
        alternatives = [(frozenset(), frozenset())]
        for part in parts:
            alternatives = [
                (wants | more_wants, excludes | more_excludes)
                for wants, excludes in alternatives
                for more_wants, more_excludes in part or ()
                if wants.isdisjoint(more_excludes) and excludes.isdisjoint(more_wants)
            ]
            if len(alternatives) > MAX_CLAUSES:
                return None
    unique = list(dict.fromkeys(alternatives))
    return unique if len(unique) <= MAX_CLAUSES else None


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


class _Alternative(NamedTuple):
    """One alternative of some monitors' queries: its wanted terms found (_Group.wants), none of
    ``excludes``, or, for a query too wide to expand (MAX_CLAUSES), ``query`` read whole."""

    excludes: frozenset[str]
    query: Node | None
    # Sets rather than tuples: a set takes them in with their hashes, twice as fast.
    monitors: frozenset[int]  # on any post
    limited: tuple[tuple[int, frozenset[int]], ...]  # on posts naming one of these suppliers


class _Group(NamedTuple):
    """The alternatives that want the same terms, and what they find when the post contains none
    of the terms they exclude (most posts): all their monitors, without reading them one by one."""

    wants: frozenset[str]
    excludes: frozenset[str] | None  # None: a query of the group must be read whole
    monitors: frozenset[int]
    limited: tuple[tuple[int, frozenset[int]], ...]
    alternatives: tuple[_Alternative, ...]


class _Filed(NamedTuple):
    """The groups looked at when a term is found."""

    alone: _Group | None  # the group that wants only this term
    # The groups that want this term and one other (later in order), by that other term.
    partners: dict[str, _Group]
    # Groups of more terms, each filed under one of them (the one with the fewest so far).
    wider: list[_Group]


class MonitorMatcher:
    """Every monitor's query expanded into alternatives; ``satisfied`` gives the monitors that the
    terms found in a post (``terms``, searched for by the supplier matcher) satisfy.

    A monitor whose query no longer parses (saved before a rule changed) is left out rather than
    stopping the others."""

    def __init__(self, monitors: Iterable[MonitorSpec]) -> None:
        grouped: dict[frozenset[str], dict[tuple[frozenset[str], Node | None], list[MonitorSpec]]]
        grouped = {}
        terms: set[str] = set()
        for monitor in monitors:
            try:
                node = parse_query(monitor.query)
            except QueryError:
                continue
            # Excluded terms are looked for too: finding one can undo a monitor.
            terms |= terms_of(node)
            clauses = clauses_of(node)
            keys: list[tuple[frozenset[str], frozenset[str], Node | None]]
            if clauses is None:
                # Read whole when any term it wants is found: only those can make it hold.
                keys = [(frozenset({term}), frozenset(), node) for term in wanted_terms(node)]
            else:
                keys = [(wants, excludes, None) for wants, excludes in clauses]
            for wants, excludes, query in keys:
                grouped.setdefault(wants, {}).setdefault((excludes, query), []).append(monitor)
        self.terms = frozenset(terms)
        self._filed: dict[str, _Filed] = {}
        for wants in grouped:
            alternatives = [
                _Alternative(
                    excludes,
                    query,
                    frozenset(spec.id for spec in specs if not spec.supplier_ids),
                    tuple((spec.id, spec.supplier_ids) for spec in specs if spec.supplier_ids),
                )
                for (excludes, query), specs in grouped[wants].items()
            ]
            wide = any(alternative.query is not None for alternative in alternatives)
            group = _Group(
                wants,
                None if wide else frozenset().union(*(a.excludes for a in alternatives)),
                frozenset().union(*(alternative.monitors for alternative in alternatives)),
                tuple(dict.fromkeys(pair for a in alternatives for pair in a.limited)),
                tuple(alternatives),
            )
            ordered = sorted(wants)
            if len(ordered) == 1:
                self._filed[ordered[0]] = self._file(ordered[0])._replace(alone=group)
            elif len(ordered) == 2:
                self._file(ordered[0]).partners[ordered[1]] = group
            else:
                min((self._file(term) for term in ordered), key=_wider_count).wider.append(group)
        self._scanner: Matcher | None = None

    def _file(self, term: str) -> _Filed:
        filed = self._filed.get(term)
        if filed is None:
            filed = self._filed[term] = _Filed(None, {}, [])
        return filed

    def satisfied(self, terms: Collection[str], supplier_ids: Iterable[int] = ()) -> set[int]:
        """The ids of the monitors that a post containing exactly ``terms`` satisfies, among those
        limited to none of or to one of ``supplier_ids`` (the suppliers the post names)."""
        if not terms:
            return set()
        found = frozenset(terms)
        several = len(found) > 1
        groups: list[_Group] = []
        for term in found:
            filed = self._filed.get(term)
            if filed is None:
                continue
            alone, partners, wider = filed
            if alone is not None:
                groups.append(alone)
            if partners and several:
                # Whichever is shorter: a post with many terms costs no more than the pairs.
                if len(partners) < len(found):
                    groups += [group for other, group in partners.items() if other in found]
                else:
                    groups += [group for other in found if (group := partners.get(other))]
            if wider and several:
                groups += [group for group in wider if group.wants <= found]
        matched: set[int] = set()
        limited: list[tuple[int, frozenset[int]]] = []
        for _, excluded, all_monitors, all_limited, alternatives in groups:
            if excluded is not None and excluded.isdisjoint(found):
                matched.update(all_monitors)
                if all_limited:
                    limited += all_limited
                continue
            for excludes, query, monitors, limits in alternatives:
                if excludes.isdisjoint(found) and (query is None or holds(query, found)):
                    matched.update(monitors)
                    limited += limits
        if limited:
            named = frozenset(supplier_ids)
            for monitor_id, limit in limited:
                if not limit.isdisjoint(named):
                    matched.add(monitor_id)
        return matched

    def match(self, text: str, supplier_ids: Iterable[int] = ()) -> list[int]:
        """``satisfied`` for the terms of ``text``, searched for on their own (the pipeline finds
        them in the same pass as the suppliers)."""
        if self._scanner is None:
            self._scanner = Matcher((), terms=self.terms)
        return sorted(self.satisfied(self._scanner.search(text)[1], supplier_ids))


def _wider_count(filed: _Filed) -> int:
    return len(filed.wider)
