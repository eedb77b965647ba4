"""Is a post a complaint, and about what? Pure: no Django import.

The lexicon classifier works on day one with no training data: a maintained sentiment library
(VADER) says whether the text is negative, and each category's keywords say what it is about.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

# VADER's own recommended threshold for 'negative'.
NEGATIVE_COMPOUND = -0.05

# VADER's lexicon was built from social media; it does not know that these words are bad news in
# procurement. Valences on VADER's own scale (-4 .. 4), added to its lexicon, never replacing it.
PROCUREMENT_VALENCE = {
    "cancelled": -2.0,
    "canceled": -2.0,
    "contaminated": -2.4,
    "contamination": -2.2,
    "defective": -2.2,
    "delayed": -1.5,
    "faulty": -2.0,
    "hazard": -2.0,
    "hazardous": -2.2,
    "late": -1.0,
    "leaking": -1.8,
    "malfunction": -2.0,
    "mislabeled": -1.6,
    "mislabelled": -1.6,
    "missing": -1.2,
    "nonconforming": -1.8,
    "nonconformance": -1.8,
    "overcharged": -2.2,
    "overdue": -1.5,
    "recall": -1.4,
    "rejected": -1.8,
    "stranded": -1.8,
    "unanswered": -1.6,
    "unsafe": -2.4,
}


@dataclass(frozen=True)
class CategorySpec:
    id: int
    key: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    is_complaint: bool
    category_id: int | None
    complaint_score: float
    version: str
    scores: dict[str, float] = field(default_factory=dict)


class Classifier(Protocol):
    version: str

    def classify(self, text: str) -> Classification:
        """Complaint or not, and the category the text is about, given whether or not it reads
        as a complaint: buyer reports are complaints by definition, often in neutral words,
        and a person may correct "not a complaint" into "a complaint"."""
        ...

    def classify_many(self, texts: Sequence[str]) -> list[Classification]: ...


class _SentimentAnalyzer(Protocol):
    """The part of VADER's SentimentIntensityAnalyzer (which ships no type hints) used here."""

    lexicon: dict[str, float]

    def polarity_scores(self, text: str) -> dict[str, float]: ...


@cache
def _sentiment_analyzer() -> _SentimentAnalyzer:
    # Imported lazily: loading VADER's lexicon takes a moment that most imports don't need.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer: _SentimentAnalyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(PROCUREMENT_VALENCE)
    return analyzer


def normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", html.unescape(text)).casefold()


class LexiconClassifier:
    """Negative sentiment makes a complaint; the category with the most keyword hits names it."""

    version = "lexicon-1"

    def __init__(self, categories: Iterable[CategorySpec]) -> None:
        self._patterns: list[tuple[CategorySpec, re.Pattern[str]]] = []
        for category in categories:
            words = sorted(
                {normalise_text(w).strip() for w in category.keywords if w.strip()},
                key=len,
                reverse=True,
            )
            if words:
                alternatives = "|".join(re.escape(word) for word in words)
                self._patterns.append((category, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))

    def category_for(self, text: str) -> tuple[int | None, dict[str, float]]:
        normalised = normalise_text(text)
        hits = {
            category.key: (len(pattern.findall(normalised)), category.id)
            for category, pattern in self._patterns
        }
        hits = {key: value for key, value in hits.items() if value[0]}
        if not hits:
            return None, {}
        # Most hits wins; ties go to the category listed first (the taxonomy's own order).
        best_key = max(hits, key=lambda key: hits[key][0])
        return hits[best_key][1], {key: float(count) for key, (count, _) in hits.items()}

    def classify(self, text: str) -> Classification:
        polarity = _sentiment_analyzer().polarity_scores(html.unescape(text))
        compound = polarity["compound"]
        category_id, keyword_hits = self.category_for(text)
        is_complaint = compound <= NEGATIVE_COMPOUND
        return Classification(
            is_complaint=is_complaint,
            category_id=category_id,
            # Map VADER's compound (-1 .. 1) to a complaint probability-like score (1 = surely).
            complaint_score=round((1 - compound) / 2, 4),
            version=self.version,
            scores={"compound": compound, **{f"kw:{k}": v for k, v in keyword_hits.items()}},
        )

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        return [self.classify(text) for text in texts]
