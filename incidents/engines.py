"""The matcher and classifier each process keeps in memory, rebuilt only when their inputs change.

This module adapts the pure cores (matching.py, classify.py) to the database: it reads aliases and
categories, builds the core objects once per process, and checks a cheap version on each batch.
"""

from __future__ import annotations

import threading

from suppliers.models import Supplier, SupplierAlias
from suppliers.selectors import alias_version

from .classify import CategorySpec, Classifier, LexiconClassifier
from .matching import AliasSpec, Matcher, SupplierSpec
from .models import Category

_lock = threading.Lock()
_matcher: tuple[str, Matcher] | None = None
_classifier: tuple[tuple, Classifier] | None = None


def build_matcher(version: str = "") -> Matcher:
    aliases = [
        AliasSpec(
            supplier_id=supplier_id,
            text=text,
            kind=kind,
            ambiguous=is_ambiguous,
            alias_id=alias_id,
        )
        for alias_id, supplier_id, text, kind, is_ambiguous in SupplierAlias.objects.values_list(
            "id", "supplier_id", "text", "kind", "is_ambiguous"
        )
    ]
    suppliers = [
        SupplierSpec(id=supplier_id, context_words=tuple(words or ()))
        for supplier_id, words in Supplier.objects.values_list("id", "context_words")
    ]
    return Matcher(aliases, suppliers)


def get_matcher() -> Matcher:
    """The process's matcher, rebuilt when any alias or supplier has changed since it was built."""
    global _matcher
    version = alias_version()
    with _lock:
        if _matcher is None or _matcher[0] != version:
            _matcher = (version, build_matcher(version))
        return _matcher[1]


def get_classifier() -> Classifier:
    """The lexicon classifier over the active categories, rebuilt when a category changes."""
    global _classifier
    categories = tuple(
        Category.objects.filter(is_active=True)
        .order_by("position", "id")
        .values_list("id", "slug", "keywords")
    )
    key = tuple((cid, slug, tuple(words or ())) for cid, slug, words in categories)
    with _lock:
        if _classifier is None or _classifier[0] != key:
            specs = [CategorySpec(id=cid, key=slug, keywords=words) for cid, slug, words in key]
            _classifier = (key, LexiconClassifier(specs))
        return _classifier[1]
