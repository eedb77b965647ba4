"""Find the suppliers a post names: one Aho-Corasick automaton over every supplier's aliases.

Plain data in (AliasSpec, SupplierSpec), plain data out (Match), no Django. Build a Matcher once
per alias set and reuse it: a match costs time linear in the post, however many aliases there are.

Normalisation (normalising.py): HTML entities decoded, then NFKC and casefold, for posts and
aliases alike. A hit's span runs from the start of the original piece holding its first character
to the end of the piece holding its last, so spans always cover whole original characters.

Word boundaries: the characters either side of a hit must not be letters, digits, marks or "_"
("delta" is not in "deltas", "@united" not in "@unitedstates"), nor may a hit follow an apostrophe
inside a word ("O'Hare"). Names also match inside a hashtag ("#JetBlue") but never after "@": an
@handle is one account, and only handle aliases say whose. Overlapping hits: leftmost, then
longest, wins ("United Airlines" over "United").

Ambiguity: a single-word name, alias or product that is a common English word (``is_common_word``)
or a name several suppliers share is ambiguous unless its AliasSpec says otherwise. It counts only
when written as a proper noun (upper-case first letter in the original) within CONTEXT_WINDOW words
of one of its supplier's context words; at the start of a sentence, where a capital proves little,
with a lower confidence. A supplier also named by a strong alias is matched by that mention.

Terms: other words and phrases (the keyword monitors') may share the automaton, so that one pass
over a post (``search``) finds them with the suppliers. A term needs only to stand as a whole word;
the rules about "@", apostrophes, overlaps and ambiguity are about names.

Primary: the supplier addressed first, i.e. the first supplier handle among the @handles opening
the post; else the one with the first strong (unambiguous) mention; else the first mention.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple, Protocol, TypeAlias

import ahocorasick
from wordfreq import get_frequency_dict, zipf_frequency
from wordfreq.tokens import tokenize

from .normalising import IS_WORD_CHAR, Offsets, normalise, normalise_with_offsets

KINDS = ("handle", "hashtag", "domain", "name", "alias", "product")

# Zipf 3.5 is about three uses per million words: "delta" (4.1), "apple" (4.8), "umbrella" (3.9)
# are ordinary words, "JetBlue" (2.6) and "Acme" (2.9) are not. Brands that wordfreq also counts
# as words (e.g. "Google") need AliasSpec.ambiguous=False.
COMMON_WORD_ZIPF = 3.5
# "I flew United yesterday and the flight was late": the context word is four words away.
CONTEXT_WINDOW = 5

# An @handle or #hashtag is chosen to name one company; a product name is the least sure.
_CONFIDENCE = dict(zip(KINDS, (0.95, 0.9, 0.9, 0.85, 0.8, 0.7), strict=True))
_AMBIGUOUS_CONFIDENCE = 0.6
_AMBIGUOUS_AT_SENTENCE_START_CONFIDENCE = 0.5
_NAME_LIKE = frozenset({"name", "alias", "product"})

_MATCHES_REMEMBERED = 4096
# A hit after one of these needs a second look: "@" starts a handle, an apostrophe may sit
# inside a word ("O'Hare").
_GUARDED_PREFIXES = frozenset("@'\u2019")
# What may stand between a sentence boundary and the word that opens the sentence.
_SENTENCE_OPENERS = frozenset(" \t\r\"'([{#\u201c\u2018\u00ab")
_SENTENCE_ENDS = frozenset(".!?\n")
_LEADING_HANDLES = re.compile(r"(?:[\s.\"'(\u201c\u2018]*+@\w++[:,;]?+)++")
_WORD = re.compile(r"\w+")
_DOMAIN_PREFIX = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?")


@dataclass(frozen=True, slots=True)
class AliasSpec:
    supplier_id: int
    text: str
    kind: str  # one of KINDS
    ambiguous: bool | None = None  # None: decided by is_common_word and sharing
    alias_id: int | None = None


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    id: int
    # Single words that make an ambiguous alias mean this supplier ("flight" for an airline).
    context_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    supplier_id: int
    alias_id: int | None
    alias_text: str  # the alias as configured; text[start:end] is how the post wrote it
    kind: str
    start: int  # offsets into the original text given to Matcher.match
    end: int
    confidence: float
    is_primary: bool


class _Alias(NamedTuple):
    supplier_id: int
    alias_id: int | None
    text: str
    kind: str
    confidence: float
    ambiguous: bool
    name_like: bool


# What the automaton holds for a key: its length, whether it may follow "@", its aliases, and
# the key itself when it is also a term to find (Matcher's ``terms``), else None.
_Payload: TypeAlias = tuple[int, bool, tuple[_Alias, ...], str | None]
# A hit: normalised start, end, and the aliases of the key found there.
_Hit: TypeAlias = tuple[int, int, tuple[_Alias, ...]]


class _Automaton(Protocol):
    """The part of ``ahocorasick.Automaton`` (which ships no type hints) that Matcher uses."""

    def add_word(self, key: str, value: _Payload, /) -> bool: ...

    def make_automaton(self) -> None: ...

    def iter(self, string: str, /) -> Iterator[tuple[int, _Payload]]: ...


@lru_cache(maxsize=1)
def _english_frequencies() -> dict[str, float]:
    return get_frequency_dict("en", wordlist="best")


def is_common_word(text: str) -> bool:
    """Whether ``text`` is one word English uses often (wordfreq Zipf >= COMMON_WORD_ZIPF)."""
    return _is_common(normalise(text.strip()))


def _is_common(word: str) -> bool:
    if word.isascii() and word.isalpha():
        # A plain word is its own single token; most aliases are unknown words, and a dict
        # miss is much cheaper than wordfreq's tokenising and rounding.
        if word not in _english_frequencies():
            return False
        return zipf_frequency(word, "en") >= COMMON_WORD_ZIPF
    tokens = tokenize(word, "en")
    return len(tokens) == 1 and zipf_frequency(tokens[0], "en") >= COMMON_WORD_ZIPF


def _alias_key(spec: AliasSpec) -> str:
    text = spec.text
    key = text.lower() if text.isascii() and "&" not in text else normalise(text)
    key = " ".join(key.split())
    if spec.kind == "handle":
        key = "@" + key.lstrip("@")
    elif spec.kind == "hashtag":
        key = "#" + key.lstrip("#")
    elif spec.kind == "domain":
        key = _DOMAIN_PREFIX.sub("", key).rstrip("/")
    return key if key not in {"@", "#"} else ""


def _at_sentence_start(norm: str, start: int, lead_end: int) -> bool:
    position = start - 1
    while position >= 0 and norm[position] in _SENTENCE_OPENERS:
        position -= 1
    return position < max(lead_end, 0) or norm[position] in _SENTENCE_ENDS


def _make_alias(spec: AliasSpec, key: str, shared: bool) -> _Alias:
    name_like = spec.kind in _NAME_LIKE
    ambiguous = spec.ambiguous
    if ambiguous is None:
        ambiguous = name_like and (shared or (" " not in key and _is_common(key)))
    confidence = _CONFIDENCE[spec.kind]
    if ambiguous:
        confidence = min(confidence, _AMBIGUOUS_CONFIDENCE)
    # tuple.__new__ skips NamedTuple's Python-level constructor: a build makes one per alias.
    return tuple.__new__(
        _Alias,
        (spec.supplier_id, spec.alias_id, spec.text, spec.kind, confidence, ambiguous, name_like),
    )


class Matcher:
    """Every supplier alias in one automaton; ``match`` finds the suppliers a text names.

    ``terms`` (normalised words and phrases, e.g. the keyword monitors' ones) share the automaton:
    ``search`` also tells which of them a text contains as whole words, in the same pass."""

    def __init__(
        self,
        aliases: Iterable[AliasSpec],
        suppliers: Iterable[SupplierSpec] = (),
        version: int = 0,
        terms: Iterable[str] = (),
    ) -> None:
        self.version = version
        # A build allocates a few objects per alias and frees almost none; the collector's
        # full passes over them would cost a third of the build (bench/bench_matching.py).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(aliases, suppliers, frozenset(filter(None, terms)))
        finally:
            if collecting:
                gc.enable()

    def _build(
        self, aliases: Iterable[AliasSpec], suppliers: Iterable[SupplierSpec], terms: frozenset[str]
    ) -> None:
        self._context: dict[int, frozenset[str]] = {}
        # Suppliers of one trade share their context words: fold each list once, keep one set.
        folded_contexts: dict[tuple[str, ...], frozenset[str]] = {}
        for supplier in suppliers:
            context = folded_contexts.get(supplier.context_words)
            if context is None:
                words = (normalise(word).strip() for word in supplier.context_words)
                context = folded_contexts[supplier.context_words] = frozenset(filter(None, words))
            known = self._context.get(supplier.id)
            self._context[supplier.id] = context if known is None else known | context

        by_key: dict[str, AliasSpec] = {}
        repeated: dict[str, list[AliasSpec]] = {}
        for spec in aliases:
            if spec.kind not in _CONFIDENCE:
                raise ValueError(f"unknown alias kind {spec.kind!r} for {spec.text!r}")
            key = _alias_key(spec)
            if key and by_key.setdefault(key, spec) is not spec:
                repeated.setdefault(key, [by_key[key]]).append(spec)

        payloads: list[tuple[str, _Payload]] = []
        for key, first in by_key.items():
            if key not in repeated:
                alias = _make_alias(first, key, shared=False)
                term = key if key in terms else None
                payloads.append((key, (len(key), not alias.name_like, (alias,), term)))
                continue
            # A canonical order (any total one) makes the payload independent of input order.
            specs = sorted(set(repeated[key]), key=repr)
            shared = len({spec.supplier_id for spec in specs}) > 1
            best: dict[int, _Alias] = {}
            for spec in specs:
                alias = _make_alias(spec, key, shared)
                current = best.get(spec.supplier_id)
                if current is None or alias.confidence > current.confidence:
                    best[spec.supplier_id] = alias
            # Payloads are small tuples the hot loop unpacks: no lookups per hit.
            after_at = not all(alias.name_like for alias in best.values())
            term = key if key in terms else None
            payloads.append((key, (len(key), after_at, tuple(best.values()), term)))
        payloads.extend((term, (len(term), False, (), term)) for term in terms - by_key.keys())
        # Adding the keys in one tight loop keeps the trie's nodes close together in memory,
        # which makes every search faster.
        self._automaton: _Automaton = ahocorasick.Automaton()
        add_word = self._automaton.add_word
        for key, payload in payloads:
            add_word(key, payload)
        self.size = len(payloads)
        if self.size:
            self._automaton.make_automaton()
        # An automaton without keys cannot be searched; it also finds nothing.
        self._iter: Callable[[str], Iterable[tuple[int, _Payload]]] = (
            self._automaton.iter if self.size else _no_hits
        )
        self._made: dict[tuple[int, int, int, float, bool], Match] = {}

    def match(self, text: str) -> list[Match]:
        """The suppliers ``text`` names, one Match each: the primary first, then by position."""
        return self.search(text)[0]

    def search(self, text: str) -> tuple[list[Match], list[str]]:
        """What ``match`` finds, and the terms ``text`` contains (as often as it does)."""
        if text.isascii() and "&" not in text:
            norm, offsets = text.lower(), None
        else:
            norm, offsets = normalise_with_offsets(text)
        is_word = IS_WORD_CHAR
        length = len(norm)
        hits: list[_Hit] = []
        terms: list[str] = []
        for last, (key_length, after_at, aliases, term) in self._iter(norm):
            start = last - key_length + 1
            if start:
                before = norm[start - 1]
                if is_word[before]:
                    continue
            end = last + 1
            if end < length and is_word[norm[end]]:
                continue
            if term is not None:
                # A whole word is all a term asks for; what follows is about names.
                terms.append(term)
                if not aliases:
                    continue
            if (
                start
                and before in _GUARDED_PREFIXES
                and (
                    (before == "@" and not after_at)
                    or (before != "@" and start > 1 and is_word[norm[start - 2]])
                )
            ):
                continue
            hits.append((start, end, aliases))
        if not hits:
            return [], terms
        if len(hits) == 1 and len(hits[0][2]) == 1 and not hits[0][2][0].ambiguous:
            # Most posts name one supplier once, plainly: nothing to weigh.
            start, end, (alias,) = hits[0]
            if offsets is not None:
                start, end = offsets.original_start(start), offsets.original_end(end)
            return [self._match(alias, start, end, alias.confidence, True)], terms
        return self._weigh(text, norm, offsets, hits), terms

    def _weigh(
        self,
        text: str,
        norm: str,
        offsets: Offsets | None,
        hits: list[_Hit],
    ) -> list[Match]:
        # The automaton reports hits by end, longest first among equal ends. Reversed and sorted
        # stably by start, they come leftmost first and, among equal starts, longest first.
        hits.reverse()
        hits.sort(key=_by_start)
        accepted = []
        ambiguous = []
        covered_until = 0
        for start, end, aliases in hits:
            if start < covered_until:
                continue
            covered_until = end
            after_at = start > 0 and norm[start - 1] == "@"
            for alias in aliases:
                if alias.name_like and after_at:
                    continue
                if alias.ambiguous:
                    ambiguous.append((start, end, alias))
                else:
                    accepted.append((start, end, alias, alias.confidence))

        lead_end = None
        # A supplier named plainly elsewhere in the post is matched by that mention, which
        # outranks any ambiguous one: weigh only the others.
        named = {hit[2].supplier_id for hit in accepted}
        ambiguous = [hit for hit in ambiguous if hit[2].supplier_id not in named]
        if ambiguous:
            lead_end = _leading_handles_end(norm)
            for start, end, alias in ambiguous:
                first = text[start if offsets is None else offsets.original_start(start)]
                confidence = self._ambiguous_confidence(first, norm, start, end, alias, lead_end)
                if confidence is not None:
                    accepted.append((start, end, alias, confidence))
            accepted.sort(key=_by_start)
        if not accepted:
            return []

        best: dict[int, tuple[int, int, _Alias, float]] = {}
        for hit in accepted:
            current = best.get(hit[2].supplier_id)
            if current is None or hit[3] > current[3]:
                best[hit[2].supplier_id] = hit
        primary = accepted[0][2].supplier_id
        if len(best) > 1:
            if lead_end is None:
                lead_end = _leading_handles_end(norm)
            strong = next((hit[2] for hit in accepted if not hit[2].ambiguous), None)
            leading = (hit[2] for hit in accepted if hit[2].kind == "handle" and hit[0] < lead_end)
            primary = next(leading, strong or accepted[0][2]).supplier_id

        matches: list[Match] = []
        for start, end, alias, confidence in sorted(best.values(), key=_by_start):
            if offsets is not None:
                start, end = offsets.original_start(start), offsets.original_end(end)
            match = self._match(alias, start, end, confidence, alias.supplier_id == primary)
            if match.is_primary:
                matches.insert(0, match)
            else:
                matches.append(match)
        return matches

    def _match(
        self, alias: _Alias, start: int, end: int, confidence: float, primary: bool
    ) -> Match:
        # Matches are immutable, and most posts open with one of a few handles at offset 0:
        # handing out equal ones again saves a third of a matched post's time (on the real
        # tweets 97% of matches recur; bench/bench_matching.py).
        key = (id(alias), start, end, confidence, primary)
        match = self._made.get(key)
        if match is None:
            if len(self._made) >= _MATCHES_REMEMBERED:
                self._made.clear()
            # _Alias begins with Match's first four fields: supplier, alias id, text, kind.
            match = self._made[key] = Match(*alias[:4], start, end, confidence, primary)
        return match

    def _ambiguous_confidence(
        self, first: str, norm: str, start: int, end: int, alias: _Alias, lead_end: int
    ) -> float | None:
        """The confidence of an ambiguous hit whose original first character is ``first``."""
        # Case tells a proper noun from a word; a handle, hashtag or domain has no such case.
        if alias.name_like and not (first.isupper() or first.istitle()):
            return None
        context = self._context.get(alias.supplier_id)
        if not context:
            return None
        reach = CONTEXT_WINDOW * 20
        before = _WORD.findall(norm, max(0, start - reach), start)[-CONTEXT_WINDOW:]
        after = _WORD.findall(norm, end, end + reach)[:CONTEXT_WINDOW]
        if context.isdisjoint(before) and context.isdisjoint(after):
            return None
        if _at_sentence_start(norm, start, lead_end):
            return min(alias.confidence, _AMBIGUOUS_AT_SENTENCE_START_CONFIDENCE)
        return alias.confidence


def _leading_handles_end(norm: str) -> int:
    """Where the @handles that open the post end (-1: it opens with none)."""
    leading = _LEADING_HANDLES.match(norm)
    return leading.end() if leading else -1


def _no_hits(norm: str) -> tuple[()]:
    return ()


_by_start = itemgetter(0)
