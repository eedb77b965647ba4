"""A complaint classifier that learns from labelled posts. Pure: no Django import.

Two heads share one preprocessing step:

- complaint or not: logistic regression over word (1-2) and character (2-5, within words) n-gram
  TF-IDF features of every labelled example;
- which category, for complaints: a class-balanced linear SVM over the same kind of features,
  fitted on the complaints whose category has at least `min_category_examples` examples.

The text is reduced to what makes a complaint a complaint: HTML entities decoded, case folded,
the suppliers' own names, @handles and #hashtags replaced by `_supplier_`, other @handles by
`_user_`, links by `_url_` and numbers by `_num_`. So the model learns "two hours on hold" and
not "posts naming this airline tend to be negative", and it carries over to suppliers it has
never seen.

Measured on a fixed split of the developer data (README, "Quality"), this beats richer linear
variants we tried (NB-SVM, joint one-model-for-both, VADER scores as extra features, calibrated
SVMs) or ties them within noise, and trains in about ten seconds on 6,000 posts.

`evaluate` and `scores` compute the figures that decide whether a new model replaces the one in
use; `dumps`/`loads` turn a fitted classifier into bytes and back.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeAlias

from .classify import Classification, Classifier

# numpy, scikit-learn and joblib are imported where they are used: together they take a second or
# more to import, and most processes that import this module (web, most workers) never train.
if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

__all__ = [
    "ALGORITHM",
    "Example",
    "LearnedClassifier",
    "TrainingError",
    "TrainingOptions",
    "dumps",
    "evaluate",
    "is_better",
    "loads",
    "preprocess",
    "scores",
    "split_held_out",
    "stable_fraction",
    "train",
]

ALGORITHM = (
    "TF-IDF word 1-2 + char 2-5 n-grams; complaint: logistic regression; "
    "category: class-balanced linear SVM"
)
# Bumped when the serialised layout changes; an artifact of another format is refused.
ARTIFACT_FORMAT = 1
# Two models whose complaint F1 differ by less than this are tied on it (held-out noise).
F1_TOLERANCE = 0.005


class TrainingError(ValueError):
    """The examples cannot make a model (for example: no non-complaint among them)."""


@dataclass(frozen=True)
class Example:
    """One labelled post. `key` is its stable identity; it decides whether it is held out."""

    key: str
    text: str
    is_complaint: bool
    category_id: int | None = None


@dataclass(frozen=True)
class TrainingOptions:
    # A category with fewer complaints than this is not learned: too few to say anything.
    min_category_examples: int = 5
    # Regularisation, chosen by cross-validation on the training part of the developer data;
    # the results are flat around these values.
    complaint_c: float = 2.0
    category_c: float = 0.1
    threshold: float = 0.5


# --- preprocessing ------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_NUMBER = re.compile(r"(?<![a-z_])\d+(?:[.,:/]\d+)*")
# "soooo" and "sooo" are one word; two letters stay ("too", "good").
_ELONGATED = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")
# Words (with inner apostrophes and the _placeholders_), runs of ! and ?, and :( style faces.
TOKEN_PATTERN = r"(?u)\b\w[\w']*\b|[!?]+|[:;=]-?[()\[\]dpo/\\|]"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", html.unescape(text)).casefold()


def _mask_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = {_fold(term).strip() for term in terms if term and term.strip()}
    if not words:
        return None
    return re.compile(rf"(?<![\w@#])(?:{_trie_regex(words)})(?!\w)")


# A character trie: each key is one character, "" (pointing to an empty node) ends a word.
_Trie: TypeAlias = dict[str, "_Trie"]


def _trie_regex(words: Iterable[str]) -> str:
    """One regex for many literal words, their common prefixes shared: a flat alternation of
    thousands of supplier names would be tried name by name at every position of every post.
    Longer words win over their prefixes (a trailing empty alternative comes last)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: _Trie) -> str:
        branches = [
            re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char
        ]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return pattern(trie)


def preprocess(text: str, mask: re.Pattern[str] | None = None) -> str:
    """The text as the model sees it (see the module docstring)."""
    text = _fold(text)
    text = _URL.sub(" _url_ ", text)
    text = _EMAIL.sub(" _email_ ", text)
    if mask is not None:
        text = mask.sub(" _supplier_ ", text)
    text = _HANDLE.sub(" _user_ ", text)
    text = text.replace("#", " ")
    text = _NUMBER.sub(" _num_ ", text)
    text = _ELONGATED.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def _vectoriser(examples: int) -> FeatureUnion:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    # A term seen once says little and bloats the model; tiny training sets keep every term.
    min_df = 2 if examples >= 200 else 1
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=(1, 2),
                    min_df=min_df,
                    sublinear_tf=True,
                    token_pattern=TOKEN_PATTERN,
                    dtype=np.float32,
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=min_df,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )


def _slim(features: FeatureUnion) -> FeatureUnion:
    # stop_words_ lists every pruned term: only for introspection, and the bulk of a pickle.
    for _name, vectoriser in features.transformer_list:
        if hasattr(vectoriser, "stop_words_"):
            del vectoriser.stop_words_
    return features


# --- the classifier ------------------------------------------------------------------------------


@dataclass
class LearnedClassifier:
    """A fitted model; implements the Classifier protocol of classify.py, one text or many."""

    version: str
    mask: re.Pattern[str] | None
    features: FeatureUnion
    complaint_head: LogisticRegression
    threshold: float
    category_features: FeatureUnion | None = None
    category_head: LinearSVC | None = None
    algorithm: str = ALGORITHM
    # Categories this classifier may answer (the active ones); None: all it learned.
    allowed_categories: frozenset[int] | None = field(default=None, compare=False)

    @property
    def categories(self) -> tuple[int, ...]:
        if self.category_head is None:
            return ()
        return tuple(int(c) for c in self.category_head.classes_)

    def restricted_to(self, category_ids: Iterable[int]) -> LearnedClassifier:
        """The same model answering only among these categories (say, the active ones)."""
        return replace(self, allowed_categories=frozenset(category_ids))

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        """One Classification per text, in order; far faster per text than classify()."""
        if not texts:
            return []
        cleaned = [preprocess(text, self.mask) for text in texts]
        probabilities = self.complaint_head.predict_proba(self.features.transform(cleaned))
        positive = list(self.complaint_head.classes_).index(True)
        complaint_p = probabilities[:, positive]
        category_ids, category_scores = self._categories(cleaned)
        results = []
        for index, p in enumerate(complaint_p):
            is_complaint = bool(p >= self.threshold)
            scores = {"complaint_probability": round(float(p), 4)}
            category_score = category_scores[index]
            if category_score is not None:
                scores["category_score"] = round(category_score, 4)
            results.append(
                Classification(
                    is_complaint=is_complaint,
                    # Given for every post: processing keeps it only for complaints, and a
                    # person who says "a complaint after all" may keep the category it names.
                    category_id=category_ids[index],
                    complaint_score=round(float(p), 4),
                    version=self.version,
                    scores=scores,
                )
            )
        return results

    def _categories(self, cleaned: list[str]) -> tuple[list[int | None], list[float | None]]:
        """The best allowed category of each text, with its decision score."""
        import numpy as np

        ids: list[int | None] = [None] * len(cleaned)
        best: list[float | None] = [None] * len(cleaned)
        if self.category_head is None or self.category_features is None:
            return ids, best
        classes = [int(c) for c in self.category_head.classes_]
        allowed = np.array(
            [self.allowed_categories is None or c in self.allowed_categories for c in classes]
        )
        if not allowed.any():
            return ids, best
        decision = self.category_head.decision_function(self.category_features.transform(cleaned))
        if decision.ndim == 1:
            # Two classes: one column, positive for classes[1].
            decision = np.column_stack([-decision, decision])
        decision = np.where(allowed, decision, -np.inf)
        for row, scores in enumerate(decision):
            column = int(scores.argmax())
            ids[row] = classes[column]
            best[row] = float(scores[column])
        return ids, best


def train(
    examples: Sequence[Example],
    *,
    version: str,
    mask_terms: Iterable[str] = (),
    options: TrainingOptions | None = None,
) -> LearnedClassifier:
    """Fit both heads on these examples; TrainingError when they cannot make a model."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    options = options or TrainingOptions()
    # Fixed seeds (the solvers shuffle): the same examples always make the same model.
    labels = np.array([example.is_complaint for example in examples], dtype=bool)
    if labels.all() or not labels.any():
        raise TrainingError(
            "the examples need both complaints and posts that are not complaints "
            f"({int(labels.sum())} complaints of {len(labels)})"
        )
    mask = _mask_pattern(mask_terms)
    cleaned = [preprocess(example.text, mask) for example in examples]

    features = _vectoriser(len(cleaned))
    matrix = features.fit_transform(cleaned)
    complaint_head = LogisticRegression(C=options.complaint_c, solver="liblinear", random_state=0)
    complaint_head.fit(matrix, labels)

    counts = Counter(
        example.category_id
        for example in examples
        if example.is_complaint and example.category_id is not None
    )
    learnable = {cid for cid, n in counts.items() if n >= options.min_category_examples}
    category_features = category_head = None
    if len(learnable) >= 2:
        rows = [
            index
            for index, example in enumerate(examples)
            if example.is_complaint and example.category_id in learnable
        ]
        # Own features: fitted on complaints only, their weights suit telling complaints apart.
        category_features = _vectoriser(len(rows))
        category_head = LinearSVC(C=options.category_c, class_weight="balanced", random_state=0)
        category_head.fit(
            category_features.fit_transform([cleaned[i] for i in rows]),
            np.array([examples[i].category_id for i in rows]),
        )
        _slim(category_features)
    return LearnedClassifier(
        version=version,
        mask=mask,
        features=_slim(features),
        complaint_head=complaint_head,
        threshold=options.threshold,
        category_features=category_features,
        category_head=category_head,
    )


# --- held-out split and scores -------------------------------------------------------------------


def stable_fraction(key: str) -> float:
    """A number in [0, 1) fixed by the key alone: the same on every machine and in every run."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_held_out(
    examples: Sequence[Example], share: float = 0.2
) -> tuple[list[Example], list[Example]]:
    """(training part, held-out part): an example is held out when stable_fraction(key) < share.

    A hash, not a shuffle: the same examples stay held out from one training run to the next, so a
    new model and the model in use are compared on posts neither was trained on. Each class is
    held out in the same share on average (stratified in expectation, not by construction).
    """
    training: list[Example] = []
    held_out: list[Example] = []
    for example in examples:
        (held_out if stable_fraction(example.key) < share else training).append(example)
    return training, held_out


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def scores(
    true_complaint: Sequence[bool],
    predicted_complaint: Sequence[bool],
    true_category: Sequence[Hashable | None],
    predicted_category: Sequence[Hashable | None],
) -> dict[str, float | int]:
    """Complaint precision/recall/F1 over all posts; category accuracy and macro-F1 over the
    complaints that have a true category, judging the category each post was given. (A missed
    complaint is already counted against complaint recall; it is not counted twice.)

    Categories are any hashable labels (ids, names); macro-F1 averages the F1 of each true category.
    """
    tp = sum(t and p for t, p in zip(true_complaint, predicted_complaint, strict=True))
    fp = sum(p and not t for t, p in zip(true_complaint, predicted_complaint, strict=True))
    fn = sum(t and not p for t, p in zip(true_complaint, predicted_complaint, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0

    pairs = [
        (truth, guess)
        for truth, guess, is_true in zip(
            true_category, predicted_category, true_complaint, strict=True
        )
        if is_true and truth is not None
    ]
    per_category = []
    for label in {truth for truth, _ in pairs}:
        hits = sum(1 for truth, guess in pairs if truth == label and guess == label)
        guessed = sum(1 for _, guess in pairs if guess == label)
        actual = sum(1 for truth, _ in pairs if truth == label)
        per_category.append(_f1(hits / guessed if guessed else 0.0, hits / actual))
    return {
        "examples": len(true_complaint),
        "complaints": sum(bool(t) for t in true_complaint),
        "category_examples": len(pairs),
        "complaint_precision": round(precision, 4),
        "complaint_recall": round(recall, 4),
        "complaint_f1": round(_f1(precision, recall), 4),
        "category_accuracy": round(sum(truth == guess for truth, guess in pairs) / len(pairs), 4)
        if pairs
        else 0.0,
        "category_macro_f1": round(sum(per_category) / len(per_category), 4)
        if per_category
        else 0.0,
    }


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> dict[str, float | int]:
    """`scores` of this classifier on these labelled examples."""
    predictions = classifier.classify_many([example.text for example in examples])
    return scores(
        [example.is_complaint for example in examples],
        [prediction.is_complaint for prediction in predictions],
        [example.category_id for example in examples],
        [prediction.category_id for prediction in predictions],
    )


def is_better(candidate: Mapping[str, float], current: Mapping[str, float]) -> bool:
    """Does the candidate beat the model in use? Complaint F1 first; when the two are tied
    (within F1_TOLERANCE), category macro-F1 decides. A tie on both keeps the model in use."""
    difference = candidate["complaint_f1"] - current["complaint_f1"]
    if abs(difference) > F1_TOLERANCE:
        return difference > 0
    return candidate["category_macro_f1"] > current["category_macro_f1"]


# --- serialisation --------------------------------------------------------------------------------


def dumps(classifier: LearnedClassifier) -> bytes:
    """The fitted classifier as bytes, for ClassifierModel.artifact."""
    import joblib
    import sklearn

    buffer = io.BytesIO()
    envelope = {
        "format": ARTIFACT_FORMAT,
        "sklearn": sklearn.__version__,
        # Stored unrestricted: the process that loads it restricts it to its active categories.
        "classifier": replace(classifier, allowed_categories=None),
    }
    joblib.dump(envelope, buffer, compress=3)
    return buffer.getvalue()


def loads(data: bytes | memoryview) -> LearnedClassifier:
    """The classifier `dumps` wrote. Unpickling runs code chosen by whoever wrote the bytes, so
    only artifacts our own training stored in our own database are ever given to this function:
    never an uploaded file or anything read from outside."""
    import joblib

    envelope = joblib.load(io.BytesIO(bytes(data)))  # our own artifacts only: see above
    if not isinstance(envelope, dict) or envelope.get("format") != ARTIFACT_FORMAT:
        raise ValueError("not a classifier artifact of this version of supplierwatch")
    classifier = envelope["classifier"]
    if not isinstance(classifier, LearnedClassifier):
        raise ValueError("the artifact does not hold a LearnedClassifier")
    return classifier
