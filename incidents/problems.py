"""Which problem a complaint is about: grouping by what evidence says and when. Pure, no Django.

Buyer reports that name a lot or SKU keep their fingerprint (grouping.fingerprint): that is
traceability across buyers. Everything else is grouped here: a complaint joins the incident of its
supplier whose evidence it most resembles, among a bounded set of candidates (the supplier's
incidents with evidence near the complaint's own time), or opens a new incident. Resemblance is

- what the texts say: the cosine of their terms (scikit-learn's text analyser: tokens, English stop
  words), each term weighted by how rare it is in English (wordfreq), so "crushed cartons" weighs
  more than "service" or "hours";
- the identifiers they share (order, flight, SKU, lot or model numbers: incidents/identifiers.py),
  which count for a lot, and different identifiers of one kind, which count against;
- the category, as a hint: the same category helps, a different one hurts;
- time: evidence must be within `quiet_gap` of the incident's evidence (a new burst after a quiet
  period is a new incident), and the closer in time the better.

A resolved incident is a candidate while it is within the reopen window: evidence of the same
problem reopens it (a regression). Evidence that matches nothing opens its own incident; there is no
catch-all. An incident keeps a compact Signature (its most shared terms and identifiers, counted in
its shareable evidence) so that grouping never re-reads its posts: the cost of placing a complaint
depends on the candidates near its time (at most `max_candidates`), never on the number of past
incidents.

Only shareable evidence (public posts and reports that are not private) adds to a signature, and
titles are made only from signatures, so nothing a viewer may not read reaches a title. The one
exception is an incident that only one organization's private reports opened (its `owner`): only
that organization sees it, so their words make its signature, and its later private reports join
it. Shareable evidence of the same problem folds it into a shared incident (Placement.absorbs),
never the other way round: nothing that others see of an incident may date from a private report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from wordfreq import zipf_frequency

from . import identifiers as ids
from .inputs import PO_PLACEHOLDER

# --- what a text says -------------------------------------------------------------------------

# Mentions, hashtags of handles and links say who and where, not what the problem is; nor does
# the stand-in for a report's PO number, which every report naming its PO carries.
_NOISE = re.compile(rf"(?:https?://\S+|www\.\S+|[@#]\w+|&\w+;|{re.escape(PO_PLACEHOLDER)})")
# Words every complaint uses, whatever its problem: they would make unrelated complaints look alike.
_COMPLAINT_WORDS = frozenset(
    [
        "thanks",
        "thank",
        "thx",
        "pls",
        "please",
        "just",
        "im",
        "ive",
        "dont",
        "cant",
        "wont",
        "didnt",
        "doesnt",
        "isnt",
        "got",
        "get",
        "getting",
        "like",
        "know",
        "need",
        "want",
        "really",
        "today",
        "yesterday",
        "tomorrow",
        "now",
        "still",
        "time",
        "times",
        "day",
        "days",
        "guys",
        "ur",
        "u",
        "r",
        "amp",
        "yes",
        "yeah",
        "ok",
        "okay",
        "lol",
        "hey",
        "hi",
        "hello",
        "oh",
        "sure",
        "way",
        "going",
        "gonna",
        "make",
        "made",
        "say",
        "said",
    ]
)
_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | _COMPLAINT_WORDS)
# scikit-learn's analyser: lower-cased word tokens of two letters or more, English stop words out.
_analyse = CountVectorizer(
    stop_words=sorted(_STOP_WORDS), token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b"
).build_analyzer()

# A term's weight is how rare it is in English: Zipf 7 ("the") and above weigh nothing, a word
# English hardly uses weighs the most. Capped, so that a typo does not outweigh real words.
_RARE_ZIPF = 7.0
_MAX_WEIGHT = 5.0


@lru_cache(maxsize=200_000)
def term_weight(term: str) -> float:
    return min(_MAX_WEIGHT, max(0.0, _RARE_ZIPF - zipf_frequency(term, "en")))


@dataclass(frozen=True)
class Features:
    """What grouping reads of one text."""

    terms: frozenset[str]
    identifiers: frozenset[str]


def features(text: str, *, remove: Iterable[tuple[int, int]] = ()) -> Features:
    """The terms and identifiers of a text, without the spans in `remove` (the supplier's names,
    which every complaint about it shares and which say nothing about the problem)."""
    for start, end in sorted(remove, reverse=True):
        text = text[:start] + " " + text[end:]
    found = ids.extract(text)
    plain = _NOISE.sub(" ", text)
    return Features(frozenset(_analyse(plain)), frozenset(found))


# --- what an incident keeps -------------------------------------------------------------------

# A signature keeps this many terms and identifiers: enough to recognise the problem and to title
# it, small enough to store on the incident and load by the hundred.
SIGNATURE_TERMS = 40
SIGNATURE_IDENTIFIERS = 10


@dataclass
class Signature:
    """How many of an incident's shareable posts use each term and name each identifier."""

    terms: dict[str, int] = field(default_factory=dict)
    identifiers: dict[str, int] = field(default_factory=dict)
    posts: int = 0

    @classmethod
    def from_json(cls, data: Any) -> Signature:
        if not isinstance(data, dict):
            return cls()
        return cls(
            terms={str(k): int(v) for k, v in (data.get("terms") or {}).items()},
            identifiers={str(k): int(v) for k, v in (data.get("identifiers") or {}).items()},
            posts=int(data.get("posts") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "terms": _top(self.terms, SIGNATURE_TERMS),
            "identifiers": _top(self.identifiers, SIGNATURE_IDENTIFIERS),
            "posts": self.posts,
        }

    def add(self, evidence: Features) -> None:
        self.posts += 1
        for term in evidence.terms:
            self.terms[term] = self.terms.get(term, 0) + 1
        for identifier in evidence.identifiers:
            self.identifiers[identifier] = self.identifiers.get(identifier, 0) + 1

    def remove(self, evidence: Features) -> None:
        """Take back what `add` added for this evidence (as far as the kept terms still hold it):
        evidence grouped again must not count twice."""
        self.posts = max(0, self.posts - 1)
        for counts, keys in (
            (self.terms, evidence.terms),
            (self.identifiers, evidence.identifiers),
        ):
            for key in keys:
                left = counts.get(key, 0) - 1
                if left > 0:
                    counts[key] = left
                else:
                    counts.pop(key, None)

    def shared_terms(self, limit: int = 3) -> list[str]:
        """The terms that describe the problem: used by at least half of its posts (by the one
        post while there is one), heaviest first."""
        return _shared(self.terms, self.posts, limit, weight=term_weight)

    def shared_identifiers(self, limit: int = 2) -> list[str]:
        return _shared(self.identifiers, self.posts, limit, weight=lambda _: 1.0)


def _top(counts: dict[str, int], limit: int) -> dict[str, int]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -term_weight(kv[0]), kv[0]))
    return dict(ranked[:limit])


def _shared(counts: dict[str, int], posts: int, limit: int, *, weight) -> list[str]:
    needed = max(1, math.ceil(posts / 2))
    shared = [(k, n) for k, n in counts.items() if n >= needed and weight(k) > 0]
    shared.sort(key=lambda kv: (-kv[1], -weight(kv[0]), kv[0]))
    return [k for k, _ in shared[:limit]]


def words_of(names: Iterable[str]) -> frozenset[str]:
    """The terms of these names, as a text's terms are read (each name worked out once)."""
    return frozenset(term for name in names for term in _name_terms(name))


@lru_cache(maxsize=50_000)
def _name_terms(name: str) -> tuple[str, ...]:
    return tuple(_analyse(name))


# Words that say how people feel or when, not what went wrong: they help grouping but not a title.
_SAYS_NOTHING = frozenset(
    """terrible awful horrible horrendous unacceptable disappointed disappointing annoyed angry
    frustrated frustrating worst bad poor ridiculous useless pathetic disgusting shameful fail failed
    failing fails joke seriously really literally totally absolutely ago today yesterday tonight
    tomorrow morning week weeks month months day days hour hours minutes time times again still wait
    waiting waited update updates please thanks thank help customer customers people guys anyone
    """.split()  # noqa: SIM905 (words read best as words)
)


def title(
    *,
    category: str | None,
    supplier: str,
    signature: Signature,
    lot: str = "",
    sku: str = "",
    unsaid_words: frozenset[str] = frozenset(),
) -> str:
    """What the problem is, from its evidence: "Lost luggage: United — bag, lost (flight 1234)".

    Made only from the signature (shareable evidence, or its organization's own private reports
    for an incident of nothing else) and names the caller passes (the supplier, the category, the
    lot or SKU of a lot incident), never from who reported it: the words of names in
    `unsaid_words` (organizations, the supplier itself: words_of, worked out once for many titles)
    never appear among its words, nor do words that say only how people feel or when."""
    head = f"{category or 'Complaint'}: {supplier}"
    if lot:
        head += f", lot {lot}"
    elif sku:
        head += f", SKU {sku}"
    left_out = unsaid_words | _SAYS_NOTHING
    shared = signature.shared_terms(3 + len(left_out))
    words = ", ".join([term for term in shared if term not in left_out][:3])
    named = [
        ids.shown(i)
        for i in signature.shared_identifiers()
        if i.partition(":")[2] not in (lot, sku)
    ]
    detail = words + (f" ({', '.join(named)})" if words and named else ", ".join(named))
    return f"{head} — {detail}"[:255] if detail else head[:255]


# --- grouping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    # Evidence this long after an incident's last evidence (or before its first) is a new burst.
    quiet_gap: timedelta = timedelta(days=2)
    # A resolved incident takes back evidence of its problem (reopens) within this window.
    reopen_window: timedelta = timedelta(days=30)
    # How alike a complaint and an incident must be for it to join (see Grouper.score).
    threshold: float = 0.4
    # At most this many candidates, the latest first: the cost of a decision stays bounded.
    max_candidates: int = 60
    # The category hint: added when both name the same category, taken when they differ.
    same_category: float = 0.1
    other_category: float = 0.15
    # Closeness in time: up to `close_bonus` for evidence at the same moment as the incident's,
    # nothing from `close_time` apart. Less than the threshold, so that time alone never groups:
    # a busy supplier's unrelated complaints of one hour stay apart.
    close_bonus: float = 0.3
    close_time: timedelta = timedelta(hours=12)


@dataclass
class Candidate:
    """An incident that evidence may join; `incident_id` None for one opened by this grouping."""

    incident_id: int | None
    category: str | None
    signature: Signature
    first_at: datetime
    last_at: datetime
    # Set for a resolved incident: when it was resolved (it reopens only within the window).
    resolved_at: datetime | None = None
    # The organization whose private reports are all of its evidence (None: it holds shareable
    # evidence), and the candidate that shareable evidence of its problem folded it into.
    owner: Hashable | None = None
    absorbed_into: int | None = None


@dataclass(frozen=True)
class Evidence:
    key: Hashable
    at: datetime
    category: str | None
    features: Features
    # Shareable evidence adds to the signature and may reopen a resolved incident; a private
    # report may join an open incident, but must change nothing its other viewers see.
    shareable: bool = True
    # The organization of a private report: it joins incidents of that organization's own.
    owner: Hashable | None = None
    # A category a person gave (a buyer's report, a correction) is no hint but a fact: such
    # evidence joins only incidents of that category.
    firm_category: bool = False


class Action(Enum):
    JOIN = "join"
    REOPEN = "reopen"
    OPEN = "open"


@dataclass(frozen=True)
class Placement:
    key: Hashable
    candidate: int  # index into Grouper.candidates
    action: Action
    # A candidate of private reports that this evidence folds into its own (Candidate.owner).
    absorbs: int | None = None


class Grouper:
    """Places one supplier's complaints, in time order, among its candidate incidents.

    Scores are computed with numpy over a vocabulary local to this grouping: a complaint is compared
    with all its candidates at once by gathering the columns of its few terms, and what else is
    compared (category, times, status) is held in one array per fact, a row per candidate.
    """

    def __init__(self, candidates: Sequence[Candidate], *, now: datetime, rules: Rules) -> None:
        self.rules = rules
        self.now = now
        self.candidates: list[Candidate] = []
        self._columns: dict[str, int] = {}
        self._categories: dict[str | None, int] = {None: 0}
        rows = max(16, len(candidates) * 2)
        self._matrix = np.zeros((rows, 256), dtype=np.float32)
        self._norms2 = np.zeros(rows)
        self._category = np.zeros(rows, dtype=np.int32)
        self._first = np.zeros(rows)
        self._last = np.zeros(rows)
        self._resolved = np.zeros(rows, dtype=bool)
        self._reopenable = np.zeros(rows, dtype=bool)
        self._private = np.zeros(rows, dtype=bool)  # Candidate.owner is set
        self._gap = rules.quiet_gap.total_seconds()
        self._close = rules.close_time.total_seconds()
        latest = sorted(candidates, key=lambda c: c.last_at, reverse=True)
        for candidate in reversed(latest[: rules.max_candidates]):
            self._add_candidate(candidate)

    # The rows ------------------------------------------------------------------------------

    def _column(self, term: str) -> int:
        column = self._columns.get(term)
        if column is None:
            column = self._columns[term] = len(self._columns)
            if column >= self._matrix.shape[1]:
                self._matrix = np.pad(self._matrix, ((0, 0), (0, self._matrix.shape[1])))
        return column

    def _add_terms(self, row: int, terms: Mapping[str, int] | frozenset[str]) -> None:
        counted = terms if isinstance(terms, Mapping) else dict.fromkeys(terms, 1)
        weighted = {t: term_weight(t) * n for t, n in counted.items() if term_weight(t)}
        if not weighted:
            return
        columns = np.array([self._column(term) for term in weighted])
        before = self._matrix[row, columns]
        after = before + np.fromiter(weighted.values(), dtype=np.float32, count=len(weighted))
        self._matrix[row, columns] = after
        self._norms2[row] += float(np.dot(after, after) - np.dot(before, before))

    def _add_candidate(self, candidate: Candidate) -> int:
        row = len(self.candidates)
        if row >= self._matrix.shape[0]:
            grow = self._matrix.shape[0]
            self._matrix = np.pad(self._matrix, ((0, grow), (0, 0)))
            for name in (
                "_norms2",
                "_category",
                "_first",
                "_last",
                "_resolved",
                "_reopenable",
                "_private",
            ):
                setattr(self, name, np.pad(getattr(self, name), (0, grow)))
        self.candidates.append(candidate)
        self._category[row] = self._categories.setdefault(candidate.category, len(self._categories))
        self._first[row] = candidate.first_at.timestamp()
        self._last[row] = candidate.last_at.timestamp()
        resolved = candidate.resolved_at is not None
        self._resolved[row] = resolved
        self._reopenable[row] = resolved and (
            self.now - candidate.resolved_at <= self.rules.reopen_window  # type: ignore[operator]
        )
        self._private[row] = candidate.owner is not None
        self._add_terms(row, candidate.signature.terms)
        return row

    # Deciding ------------------------------------------------------------------------------

    def _eligible(self, evidence: Evidence, at: float) -> np.ndarray:
        """The rows this evidence may join: open incidents with evidence within the quiet gap of
        it, resolved ones within the reopen window (shareable evidence only); at most
        `max_candidates`, the latest added first (evidence comes in time order)."""
        count = len(self.candidates)
        resolved = self._resolved[:count]
        near = (at - self._last[:count] <= self._gap) & (self._first[:count] - at <= self._gap)
        allowed = np.where(resolved, self._reopenable[:count] & evidence.shareable, near)
        if not evidence.shareable:
            # A private report joins no other organization's private reports.
            theirs = [c.owner is not None and c.owner != evidence.owner for c in self.candidates]
            allowed &= ~np.array(theirs, dtype=bool)
        return np.flatnonzero(allowed)[-self.rules.max_candidates :]

    def scores(self, evidence: Evidence, rows: np.ndarray, at: float) -> np.ndarray:
        """How alike the evidence and each candidate are: the cosine of their weighted terms,
        plus shared identifiers, plus or minus the category hint, plus closeness in time."""
        rules = self.rules
        known = [t for t in evidence.features.terms if t in self._columns]
        own = math.sqrt(sum(term_weight(t) ** 2 for t in evidence.features.terms))
        if known and own:
            weights = np.array([term_weight(t) for t in known])
            columns = np.array([self._columns[t] for t in known])
            dots = self._matrix[rows[:, None], columns] @ weights
            norms = np.sqrt(self._norms2[rows]) * own
            score = np.divide(dots, norms, out=np.zeros(len(rows)), where=norms > 0)
        else:
            score = np.zeros(len(rows))
        if evidence.features.identifiers:
            score += [
                _identifier_score(evidence.features.identifiers, self.candidates[row])
                for row in rows
            ]
        category = self._categories.get(evidence.category, -1)
        theirs = self._category[rows]
        if evidence.category:
            known_category = theirs != 0
            score += np.where(
                known_category,
                np.where(theirs == category, rules.same_category, -rules.other_category),
                0.0,
            )
        if evidence.firm_category:
            score[theirs != category] = -math.inf
        apart = np.maximum(np.maximum(at - self._last[rows], self._first[rows] - at), 0.0)
        open_ones = ~self._resolved[rows]
        nearness = 0.1 * apart / self._gap - rules.close_bonus * np.maximum(
            0.0, 1 - apart / self._close
        )
        score -= np.where(open_ones, nearness, 0.0)
        return score

    def place(self, evidence: Evidence) -> Placement:
        at = evidence.at.timestamp()
        rows = self._eligible(evidence, at)
        scores = self.scores(evidence, rows, at) if len(rows) else np.zeros(0)
        alike = scores >= self.rules.threshold
        absorbs = None
        if evidence.shareable:
            # An incident of one organization's private reports about this problem is folded into
            # the shared incident of the problem: the best other one alike enough, or a new one.
            private = self._private[rows]
            absorbs = _best(rows, scores, alike & private)
            alike &= ~private
        row = _best(rows, scores, alike)
        if row is not None:
            candidate = self.candidates[row]
            action = Action.JOIN if candidate.resolved_at is None else Action.REOPEN
            candidate.resolved_at = None
            self._resolved[row] = self._reopenable[row] = False
        else:
            owner = None if evidence.shareable else evidence.owner
            row = self._add_candidate(
                Candidate(
                    None, evidence.category, Signature(), evidence.at, evidence.at, None, owner
                )
            )
            candidate, action = self.candidates[row], Action.OPEN
        if absorbs is not None:
            self.candidates[absorbs].absorbed_into = row
            # Resolved and not reopenable: no later evidence is placed there.
            self._resolved[absorbs], self._reopenable[absorbs] = True, False
        if evidence.shareable or candidate.owner is not None:
            candidate.signature.add(evidence.features)
            self._add_terms(row, evidence.features.terms)
        candidate.first_at = min(candidate.first_at, evidence.at)
        candidate.last_at = max(candidate.last_at, evidence.at)
        self._first[row] = candidate.first_at.timestamp()
        self._last[row] = candidate.last_at.timestamp()
        return Placement(evidence.key, row, action, absorbs)


def _best(rows: np.ndarray, scores: np.ndarray, among: np.ndarray) -> int | None:
    """The row of the highest score among those chosen (the first of equals), if any."""
    chosen = np.flatnonzero(among)
    return int(rows[chosen[int(np.argmax(scores[chosen]))]]) if len(chosen) else None


def _identifier_score(found: frozenset[str], candidate: Candidate) -> float:
    """A shared identifier says "same problem" loudly; another identifier of the same kind (another
    flight, another order) says "another problem" a little."""
    if not found:
        return 0.0
    known = candidate.signature.identifiers
    if any(i in known for i in found):
        return 0.6
    kinds = {i.partition(":")[0] for i in known}
    return -0.15 if any(i.partition(":")[0] in kinds for i in found) else 0.0


def group(
    evidence: Iterable[Evidence],
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    rules: Rules | None = None,
) -> tuple[list[Placement], list[Candidate]]:
    """Place complaints of one supplier among its candidates, earliest first; the placements and
    the candidates (existing ones, then any this grouping opened), signatures updated."""
    grouper = Grouper(candidates, now=now, rules=rules or Rules())
    placements = [grouper.place(e) for e in sorted(evidence, key=lambda e: e.at)]
    return placements, grouper.candidates
