"""Is a post a complaint, and about what? The lexicon classifier (incidents/classify.py), pure.

Most cases use the taxonomy the product ships with (migration 0003's CATEGORIES, read as plain
data: no database), so the examples are the ones real posts will meet.
"""

from __future__ import annotations

import importlib

import pytest

from incidents.classify import (
    NEGATIVE_COMPOUND,
    CategorySpec,
    Classification,
    LexiconClassifier,
    normalise_text,
)

SEED = importlib.import_module("incidents.migrations.0003_seed_categories").CATEGORIES
SPECS = [
    CategorySpec(id=position, key=slug, keywords=tuple(keywords))
    for position, (slug, _name, _description, keywords) in enumerate(SEED, start=1)
]
ID_OF = {spec.key: spec.id for spec in SPECS}


@pytest.fixture(scope="module")
def classifier() -> LexiconClassifier:
    return LexiconClassifier(SPECS)


def category_key(result: Classification) -> str | None:
    return next((spec.key for spec in SPECS if spec.id == result.category_id), None)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Truck is 6 hours late again, we had to stop the line. Terrible.", "late-delivery"),
        (
            "Our PO 4500123 is two weeks overdue and nobody gives us a date. Terrible.",
            "late-delivery",
        ),
        ("Half the housings in lot L-778 are cracked and out of spec. Unacceptable.", "defect"),
        ("Pallet arrived crushed, cartons dented and wet. Really bad.", "damaged"),
        ("Short shipped again: missing items and the wrong part. Not acceptable.", "wrong-item"),
        (
            "Certificate of conformance missing from the paperwork, customs held it. Annoying.",
            "documentation",
        ),
        ("Their customer service was rude and hung up on me. Horrible.", "service"),
    ],
)
def test_a_clear_complaint_is_a_complaint_with_the_right_category(classifier, text, category):
    result = classifier.classify(text)
    assert result.is_complaint
    assert category_key(result) == category
    assert result.scores["compound"] <= NEGATIVE_COMPOUND


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Contaminated batch, a safety hazard, somebody could get injured!", "safety"),
        ("Overcharged on the invoice again, still no refund. Ridiculous.", "billing"),
        ("The supplier cancelled our order without notice, awful", "cancelled-order"),
    ],
)
def test_a_clear_complaint_in_procurement_words_is_a_complaint(classifier, text, category):
    result = classifier.classify(text)
    assert result.is_complaint
    assert category_key(result) == category


@pytest.mark.parametrize(
    "text",
    [
        "thanks @united, great crew!",
        "Great job @initech, delivery on time and the parts work perfectly. Thanks!",
        "Love the new packaging, great work",
    ],
)
def test_praise_is_not_a_complaint(classifier, text):
    assert not classifier.classify(text).is_complaint


def test_praise_that_mentions_a_problem_word_is_about_it_but_no_complaint(classifier):
    # The category says what a post is about; only complaints are grouped by it.
    result = classifier.classify(
        "Thanks for the quick replacement of the cracked housings, great service"
    )
    assert not result.is_complaint
    assert category_key(result) == "defect"
    assert result.scores["kw:defect"] == 1.0


def test_a_complaint_scores_higher_than_praise(classifier):
    complaint = classifier.classify("Pallet arrived crushed, cartons dented and wet. Really bad.")
    praise = classifier.classify("thanks @united, great crew!")
    assert 0.5 < complaint.complaint_score <= 1.0
    assert 0.0 <= praise.complaint_score < 0.5


def test_a_negative_post_with_no_category_word_is_an_uncategorised_complaint(classifier):
    result = classifier.classify("Worst supplier we ever had. Disgusting.")
    assert result.is_complaint
    assert result.category_id is None


def test_the_category_with_most_keyword_hits_wins(classifier):
    # damaged: crushed, dented, wet (3); packaging: pallet (1)
    result = classifier.classify("Pallet arrived crushed, cartons dented and wet. Really bad.")
    assert result.scores["kw:damaged"] == 3.0
    assert result.scores["kw:packaging"] == 1.0
    assert category_key(result) == "damaged"


def test_a_tie_goes_to_the_category_listed_first():
    specs = [
        CategorySpec(id=1, key="first", keywords=("late",)),
        CategorySpec(id=2, key="second", keywords=("broken",)),
    ]
    text = "Late and broken, terrible"
    assert LexiconClassifier(specs).classify(text).category_id == 1
    assert LexiconClassifier(list(reversed(specs))).classify(text).category_id == 2


def test_keywords_match_whole_words_only():
    classifier = LexiconClassifier([CategorySpec(id=1, key="late-delivery", keywords=("late",))])
    assert classifier.category_for("the translated manual is terrible") == (None, {})
    assert classifier.category_for("lately everything is terrible") == (None, {})
    assert classifier.category_for("late, again")[0] == 1


def test_a_phrase_keyword_counts_once_not_once_per_word():
    classifier = LexiconClassifier(
        [CategorySpec(id=1, key="late-delivery", keywords=("late", "days late"))]
    )
    assert classifier.category_for("three days late") == (1, {"late-delivery": 1.0})


def test_keywords_match_whatever_the_case_or_width():
    classifier = LexiconClassifier(
        [CategorySpec(id=1, key="defect", keywords=("Out Of Spec", "cracked"))]
    )
    assert classifier.category_for("OUT OF SPEC and CRACKED") == (1, {"defect": 2.0})
    # Full-width letters, as some keyboards type them.
    assert classifier.category_for("ｃｒａｃｋｅｄ") == (1, {"defect": 1.0})


def test_html_entities_are_decoded_before_keywords_are_looked_for(classifier):
    result = classifier.classify("Delivery &#108;ate again, terrible")
    assert result.is_complaint
    assert category_key(result) == "late-delivery"
    assert classifier.category_for("cracked &amp; out&#32;of&#32;spec") == (
        ID_OF["defect"],
        {"defect": 2.0},
    )


def test_html_entities_are_decoded_before_the_sentiment_is_read(classifier):
    # ">:(" is an angry face to the sentiment lexicon; "&gt;:(" would be nothing.
    escaped = classifier.classify("Order arrived &gt;:(")
    plain = classifier.classify("Order arrived >:(")
    assert escaped.is_complaint
    assert escaped.scores["compound"] == plain.scores["compound"]
    assert not classifier.classify("We &lt;3 the new portal").is_complaint


def test_normalise_text_decodes_folds_case_and_width():
    assert normalise_text("ＬＡＴＥ &amp; Straße") == "late & strasse"


def test_a_classifier_without_categories_still_tells_complaints():
    result = LexiconClassifier([]).classify("Late again, terrible")
    assert result.is_complaint
    assert result.category_id is None


def test_blank_keywords_are_ignored():
    classifier = LexiconClassifier(
        [CategorySpec(id=1, key="empty", keywords=("", "   ")), CategorySpec(id=2, key="x")]
    )
    assert classifier.category_for("anything at all") == (None, {})


def test_the_result_names_the_classifier_version(classifier):
    assert classifier.classify("fine").version == LexiconClassifier.version == "lexicon-1"


def test_classifying_is_deterministic(classifier):
    text = "Half the housings in lot L-778 are cracked and out of spec. Unacceptable."
    assert classifier.classify(text) == classifier.classify(text)
