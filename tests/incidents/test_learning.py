"""The classifier that learns from labelled posts (incidents/learning.py), pure: no database.

The examples are synthetic but shaped like the real thing: complaints in three categories and
thanks or questions, each addressed to one of a few suppliers, with numbers and links mixed in.
"""

from __future__ import annotations

import pickle
import random

import pytest

from incidents.classify import Classification
from incidents.learning import (
    Example,
    LearnedClassifier,
    TrainingError,
    TrainingOptions,
    dumps,
    evaluate,
    is_better,
    loads,
    preprocess,
    scores,
    split_held_out,
    stable_fraction,
    train,
)

LATE, BROKEN, RUDE = 1, 2, 3
SUPPLIERS = ["@acmeparts", "@globexfreight", "Initech", "#umbrellapack"]
COMPLAINTS = {
    LATE: [
        "order {n} is three weeks late and still not shipped",
        "delivery delayed again, we waited {n} days for nothing",
        "still waiting for the parts promised last month, so late",
        "the truck never came, shipment postponed for the {n}th time",
    ],
    BROKEN: [
        "half the housings arrived cracked and broken",
        "{n} units defective, they fail inspection every time",
        "the parts are broken out of the box, faulty batch",
        "cracked casings and a broken seal on lot {n}",
    ],
    RUDE: [
        "your support agent was rude and hung up on me",
        "on hold for {n} minutes and nobody answers the phone",
        "customer service ignored my emails for a week",
        "the agent was rude, unhelpful and would not listen",
    ],
}
PRAISE = [
    "thanks for the quick delivery, great service",
    "the new catalogue looks good, see {url}",
    "do you ship to {n} warehouses in europe?",
    "great team, parts arrived on time and well packed",
    "what are your opening hours on friday?",
    "happy with order {n}, thank you",
]


def _post(template: str, rng: random.Random) -> str:
    text = template.format(n=rng.randint(2, 999), url=f"https://example.test/{rng.randint(1, 99)}")
    return f"{rng.choice(SUPPLIERS)} {text}"


def make_examples(count: int = 240, seed: int = 7) -> list[Example]:
    rng = random.Random(seed)
    examples = []
    for index in range(count):
        if index % 2:
            category = (LATE, BROKEN, RUDE)[index % 3]
            text = _post(rng.choice(COMPLAINTS[category]), rng)
            examples.append(Example(f"ex-{index}", text, True, category))
        else:
            examples.append(Example(f"ex-{index}", _post(rng.choice(PRAISE), rng), False))
    return examples


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return make_examples()


@pytest.fixture(scope="module")
def model(examples) -> LearnedClassifier:
    return train(examples, version="learned-test-1", mask_terms=SUPPLIERS)


# --- preprocessing --------------------------------------------------------------------------------


def test_preprocessing_keeps_the_complaint_and_drops_names_links_and_numbers():
    mask = train(make_examples(40), version="v", mask_terms=["@acme", "Acme Corp"]).mask

    text = preprocess(
        "@Acme Order 4500123 is LATE &amp; Acme Corp won't answer: https://t.co/x1 cc @bob #fail",
        mask,
    )

    assert text == "_supplier_ order _num_ is late & _supplier_ won't answer: _url_ cc _user_ fail"


def test_a_supplier_name_inside_another_word_is_left_alone():
    mask = train(make_examples(40), version="v", mask_terms=["AA"]).mask

    assert preprocess("AA lost my bag at the aachen hub", mask).startswith("_supplier_ lost")
    assert "aachen" in preprocess("AA lost my bag at the aachen hub", mask)


def test_elongated_words_are_one_word():
    assert preprocess("soooo late!!!") == preprocess("sooooooo late!!!")


# --- training and classifying ---------------------------------------------------------------------


def test_it_learns_complaints_and_their_categories(model):
    late = model.classify("@newsupplier our order is two weeks late, still waiting")
    broken = model.classify("every unit in the box arrived cracked and defective")
    rude = model.classify("their agent hung up on me, nobody answers")
    thanks = model.classify("thank you, great service and on time")

    assert (late.is_complaint, late.category_id) == (True, LATE)
    assert (broken.is_complaint, broken.category_id) == (True, BROKEN)
    assert (rude.is_complaint, rude.category_id) == (True, RUDE)
    assert thanks.is_complaint is False


def test_a_post_that_is_not_a_complaint_still_names_its_likeliest_category(model):
    # Processing keeps a category only for complaints; a person who corrects the post to "a
    # complaint" without choosing one gets this one.
    result = model.classify("thanks for sorting out the late delivery so quickly")

    assert result.category_id == LATE


def test_every_prediction_names_the_model_version_and_its_scores(model):
    result = model.classify("parts broken again")

    assert isinstance(result, Classification)
    assert result.version == "learned-test-1"
    assert 0.0 <= result.complaint_score <= 1.0
    assert result.scores["complaint_probability"] == result.complaint_score


def test_classify_many_gives_what_classify_gives_one_by_one(model, examples):
    texts = [example.text for example in examples[:30]]

    assert model.classify_many(texts) == [model.classify(text) for text in texts]
    assert model.classify_many([]) == []


def test_supplier_names_carry_no_weight(model):
    # Complaints and thanks name the same suppliers; masked, the names cannot tip the balance.
    first = model.classify("@acmeparts")
    second = model.classify("@globexfreight")

    assert first.complaint_score == second.complaint_score


def test_a_category_with_too_few_examples_is_not_learned(examples):
    few = [Example("rare-1", "the certificate of conformance is missing", True, 99)]
    trained = train([*examples, *few], version="v", options=TrainingOptions())

    assert set(trained.categories) == {LATE, BROKEN, RUDE}


def test_without_two_learnable_categories_complaints_have_no_category(examples):
    complaints_only_late = [
        Example(e.key, e.text, e.is_complaint, LATE if e.category_id == LATE else None)
        for e in examples
    ]
    trained = train(complaints_only_late, version="v")

    result = trained.classify("the parts arrived cracked and broken, defective batch")
    assert result.is_complaint
    assert result.category_id is None


def test_restricted_to_active_categories_it_never_answers_a_retired_one(model):
    text = "delivery delayed again, still waiting for the parts"
    restricted = model.restricted_to([BROKEN, RUDE])

    assert model.classify(text).category_id == LATE
    assert restricted.classify(text).category_id in {BROKEN, RUDE}
    assert model.restricted_to([]).classify(text).category_id is None
    assert model.restricted_to([]).classify(text).is_complaint


def test_examples_of_one_kind_only_cannot_make_a_model(examples):
    with pytest.raises(TrainingError, match="both complaints and posts"):
        train([e for e in examples if e.is_complaint], version="v")


def test_tiny_training_sets_still_train():
    tiny = [
        Example("a", "late again", True, LATE),
        Example("b", "thanks a lot", False),
    ]
    assert train(tiny, version="v").classify("late again").version == "v"


# --- serialisation --------------------------------------------------------------------------------


def test_a_stored_model_predicts_what_the_trained_one_did(model, examples):
    texts = [example.text for example in examples[:25]]

    loaded = loads(dumps(model))

    assert loaded.classify_many(texts) == model.classify_many(texts)
    assert loaded.version == model.version


def test_a_restriction_is_not_stored_with_the_model(model):
    loaded = loads(dumps(model.restricted_to([RUDE])))

    assert loaded.allowed_categories is None


def test_bytes_that_are_not_our_artifact_are_refused():
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"format": 999, "classifier": None}, buffer)

    with pytest.raises(ValueError, match="not a classifier artifact"):
        loads(buffer.getvalue())
    with pytest.raises(ValueError):
        loads(pickle.dumps({"format": 1, "classifier": "something else"}))


# --- held-out split, scores, comparison -----------------------------------------------------------


def test_the_held_out_part_is_fixed_by_each_examples_key(examples):
    training, held_out = split_held_out(examples, 0.2)
    _, reordered_held_out = split_held_out(list(reversed(examples)), 0.2)

    assert {e.key for e in held_out} == {e.key for e in reordered_held_out}
    assert {e.key for e in training} | {e.key for e in held_out} == {e.key for e in examples}
    assert 0.1 < len(held_out) / len(examples) < 0.3
    # A new example does not move the old ones from one side to the other.
    _, with_new = split_held_out([*examples, Example("new", "late", True, LATE)], 0.2)
    assert {e.key for e in held_out} <= {e.key for e in with_new}


def test_stable_fraction_is_the_same_everywhere():
    # The first 8 bytes of sha256("tw-00000") as a fraction of 2**64: no seed, no process state.
    assert stable_fraction("tw-00000") == pytest.approx(0.42262284997946)
    assert 0.0 <= stable_fraction("anything") < 1.0


def test_scores_count_complaints_and_categories_as_documented():
    result = scores(
        true_complaint=[True, True, True, False, False, True],
        predicted_complaint=[True, True, False, True, False, True],
        true_category=["late", "broken", "late", None, None, None],
        predicted_category=["late", "late", "late", "broken", None, "late"],
    )

    # 3 of 4 complaints found, 1 false alarm.
    assert result["complaint_precision"] == 0.75
    assert result["complaint_recall"] == 0.75
    assert result["complaint_f1"] == 0.75
    # Three complaints have a category; the one not flagged is judged by the category it got
    # (missing it already counts against recall).
    assert result["category_examples"] == 3
    assert result["category_accuracy"] == round(2 / 3, 4)
    # late: 2 hits of 3 guesses, 2 of 2 actual -> 0.8; broken: 0 -> macro 0.4.
    assert result["category_macro_f1"] == 0.4


def test_scores_of_nothing_are_zero_not_an_error():
    result = scores([], [], [], [])

    assert result["complaint_f1"] == 0.0
    assert result["category_macro_f1"] == 0.0


def test_evaluate_scores_a_classifier_on_labelled_examples(model, examples):
    result = evaluate(model, examples)

    assert result["examples"] == len(examples)
    assert result["complaint_f1"] > 0.95
    assert result["category_macro_f1"] > 0.9


@pytest.mark.parametrize(
    ("candidate", "current", "better"),
    [
        (
            {"complaint_f1": 0.90, "category_macro_f1": 0.10},
            {"complaint_f1": 0.80, "category_macro_f1": 0.9},
            True,
        ),
        (
            {"complaint_f1": 0.80, "category_macro_f1": 0.90},
            {"complaint_f1": 0.90, "category_macro_f1": 0.1},
            False,
        ),
        # Within the tolerance the complaint F1s are tied; the category score decides.
        (
            {"complaint_f1": 0.899, "category_macro_f1": 0.60},
            {"complaint_f1": 0.90, "category_macro_f1": 0.5},
            True,
        ),
        (
            {"complaint_f1": 0.901, "category_macro_f1": 0.40},
            {"complaint_f1": 0.90, "category_macro_f1": 0.5},
            False,
        ),
        # A tie on both keeps the model in use.
        (
            {"complaint_f1": 0.90, "category_macro_f1": 0.50},
            {"complaint_f1": 0.90, "category_macro_f1": 0.5},
            False,
        ),
    ],
)
def test_a_new_model_must_beat_the_one_in_use(candidate, current, better):
    assert is_better(candidate, current) is better
