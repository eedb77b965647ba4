"""Is a post a complaint, and about what? Pure: no Django import.

The lexicon classifier works on day one with no training data: a maintained sentiment library
(VADER) says whether the text is negative, and each category's keywords say what it is about.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

# VADER's own recommended threshold for 'negative'.
NEGATIVE_COMPOUND = -0.05


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

    def classify(self, text: str) -> Classification: ...


@cache
def _sentiment_analyzer():
    # Imported lazily: loading VADER's lexicon takes a moment that most imports don't need.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


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
            category_id=category_id if is_complaint else None,
            # Map VADER's compound (-1 .. 1) to a complaint probability-like score (1 = surely).
            complaint_score=round((1 - compound) / 2, 4),
            version=self.version,
            scores={"compound": compound, **{f"kw:{k}": v for k, v in keyword_hits.items()}},
        )
