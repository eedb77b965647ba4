"""The matchers and classifier each process keeps in memory, rebuilt only when their inputs change.

This module adapts the pure cores (matching.py, monitors.py, classify.py, learning.py) to the
database: it reads aliases, keyword monitors, categories and the active trained model, builds the
core objects once per process, and checks a cheap version on each batch. The supplier matcher
holds the monitors' terms too, so a change to either rebuilds it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from django.db.models import Count, Max

from suppliers.models import Supplier, SupplierAlias
from suppliers.selectors import alias_version

from .classify import CategorySpec, Classifier, LexiconClassifier
from .matching import AliasSpec, Matcher, SupplierSpec
from .models import Category, ClassifierModel, KeywordMonitor
from .monitors import MonitorMatcher, MonitorSpec

if TYPE_CHECKING:
    from .learning import LearnedClassifier

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# (alias version, the monitor matcher whose terms it holds, the supplier matcher)
_matcher: tuple[str, MonitorMatcher, Matcher] | None = None
_classifier: tuple[tuple, Classifier] | None = None
# (active version, its loaded model or None when it could not be loaded)
_learned: tuple[str, LearnedClassifier | None] | None = None


def build_matcher(terms: frozenset[str] = frozenset()) -> Matcher:
    # Active aliases only: a buyer organization's proposal waits for an operator's approval.
    rows = SupplierAlias.objects.active().values_list(
        "id", "supplier_id", "text", "kind", "is_ambiguous"
    )
    aliases = [
        AliasSpec(
            supplier_id=supplier_id,
            text=text,
            kind=kind,
            ambiguous=is_ambiguous,
            alias_id=alias_id,
        )
        for alias_id, supplier_id, text, kind, is_ambiguous in rows
    ]
    suppliers = [
        SupplierSpec(id=supplier_id, context_words=tuple(words or ()))
        for supplier_id, words in Supplier.objects.values_list("id", "context_words")
    ]
    return Matcher(aliases, suppliers, terms=terms)


def get_matchers() -> tuple[Matcher, MonitorMatcher]:
    """The process's supplier matcher, whose automaton also holds every active keyword monitor's
    terms, and the monitor matcher that reads the monitors off the terms it finds: built together,
    rebuilt when an alias, a supplier or a monitor has changed."""
    global _matcher
    monitors = _get_monitor_matcher()
    version = alias_version()
    with _lock:
        if _matcher is None or _matcher[0] != version or _matcher[1] is not monitors:
            _matcher = (version, monitors, build_matcher(monitors.terms))
        return _matcher[2], monitors


def get_matcher() -> Matcher:
    """The process's supplier matcher (get_matchers)."""
    return get_matchers()[0]


def get_lexicon_classifier() -> Classifier:
    """The lexicon classifier over the active categories, rebuilt when a category changes."""
    return _lexicon(_active_categories())


def _active_categories() -> tuple:
    categories = (
        Category.objects.active().order_by("position", "id").values_list("id", "slug", "keywords")
    )
    return tuple((cid, slug, tuple(words or ())) for cid, slug, words in categories)


def _lexicon(key: tuple) -> Classifier:
    global _classifier
    with _lock:
        if _classifier is None or _classifier[0] != key:
            specs = [CategorySpec(id=cid, key=slug, keywords=words) for cid, slug, words in key]
            _classifier = (key, LexiconClassifier(specs))
        return _classifier[1]


def get_classifier() -> Classifier:
    """The active trained model (ClassifierModel) when there is one, else the lexicon classifier.

    Two cheap queries per batch (the active version, the active categories); the model itself is
    read and unpickled only when the active version changes. A model that cannot be loaded is
    logged once and the lexicon classifier stands in for it.
    """
    global _learned
    categories = _active_categories()
    version = (
        ClassifierModel.objects.filter(is_active=True).values_list("version", flat=True).first()
    )
    if version is None:
        return _lexicon(categories)
    with _lock:
        if _learned is None or _learned[0] != version:
            _learned = (version, _load_learned(version))
        model = _learned[1]
    if model is None:
        return _lexicon(categories)
    # Only active categories may be predicted: a retired one must not collect new evidence.
    return model.restricted_to(cid for cid, _slug, _words in categories)


def _load_learned(version: str) -> LearnedClassifier | None:
    # Imported here: scikit-learn takes a second to import, and most processes never need it.
    from . import learning

    artifact = (
        ClassifierModel.objects.filter(version=version).values_list("artifact", flat=True).first()
    )
    try:
        # Our own artifact, written by services.training into our database (learning.loads).
        return learning.loads(artifact) if artifact is not None else None
    except Exception:
        logger.exception("classifier %s cannot be loaded; using the lexicon classifier", version)
        return None


_monitor_matcher: tuple[tuple, MonitorMatcher] | None = None


def _monitor_version() -> tuple:
    # Counts catch deletions, timestamps edits: every write goes through services.monitors, which
    # saves the monitor (and so its updated_at) when its query or supplier limit changes.
    found = KeywordMonitor.objects.filter(is_active=True).aggregate(
        n=Count("id"), changed=Max("updated_at")
    )
    return (found["n"], found["changed"])


def _get_monitor_matcher() -> MonitorMatcher:
    """The process's keyword-monitor matcher, rebuilt when a monitor has changed."""
    global _monitor_matcher
    version = _monitor_version()
    with _lock:
        if _monitor_matcher is None or _monitor_matcher[0] != version:
            limits: dict[int, set[int]] = {}
            for monitor_id, supplier_id in KeywordMonitor.suppliers.through.objects.values_list(
                "keywordmonitor_id", "supplier_id"
            ):
                limits.setdefault(monitor_id, set()).add(supplier_id)
            specs = [
                MonitorSpec(id=pk, query=query, supplier_ids=frozenset(limits.get(pk, ())))
                for pk, query in KeywordMonitor.objects.filter(is_active=True).values_list(
                    "pk", "query"
                )
            ]
            _monitor_matcher = (version, MonitorMatcher(specs))
        return _monitor_matcher[1]
