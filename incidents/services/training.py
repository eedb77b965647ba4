"""Teaching the classifier: labelled examples, training runs, activation, and corrections.

Labelled examples are every buyer report (a complaint, in the category the buyer chose) and every
public post a person has labelled (`label_is_complaint` set, through `post_relabel`). A training
run fits a model (incidents/learning.py) on most of them, scores it and the classifier in use (the
active model, or the lexicon classifier when there is none) on the same held-out examples, stores
the new version with its scores, and activates it only if it does better. Every worker picks the
new version up on its next batch (engines.get_classifier).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from suppliers.models import SupplierAlias, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from .. import engines, learning
from ..learning import Example
from ..models import Category, ClassifierModel, Post, PostMatch
from .queueing import posts_queue

logger = logging.getLogger(__name__)

# Fewer labelled posts than this teach a model little that the lexicon does not already know.
DEFAULT_MIN_EXAMPLES = 200
# And each side (complaints, non-complaints) needs some examples to be learned at all.
MIN_PER_CLASS = 10
HELD_OUT_SHARE = 0.2
# The most recent labelled posts a run learns from: bounds a nightly run's time and memory.
MAX_EXAMPLES = 100_000


@dataclass
class TrainingResult:
    examples: int = 0
    trained: bool = False
    activated: bool = False
    # Why nothing was trained, or why the new version was not activated.
    reason: str = ""
    model: ClassifierModel | None = None
    # Held-out scores of the new model, and of the classifier in use on the same examples.
    metrics: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    baseline_version: str = ""
    seconds: float = 0.0


def labelled_examples(*, limit: int = MAX_EXAMPLES) -> list[Example]:
    """The most recent labelled posts as training examples (see the module docstring)."""
    active = set(Category.objects.active().values_list("id", flat=True))
    rows = (
        Post.objects.filter(Q(source=Post.BUYER_SOURCE) | Q(label_is_complaint__isnull=False))
        .order_by("-published_at", "-id")
        .values_list(
            "source",
            "external_id",
            "text",
            "label_is_complaint",
            "label_category_id",
            "category_id",
        )[:limit]
    )
    examples = []
    for source, external_id, text, label, label_category, reported_category in rows.iterator(
        chunk_size=2000
    ):
        if label is None:  # a buyer report: a complaint in the buyer's category
            is_complaint, category = True, reported_category
        else:
            is_complaint, category = label, label_category or reported_category
        examples.append(
            Example(
                key=f"{source}:{external_id}",
                text=text,
                is_complaint=bool(is_complaint),
                # A retired category is not learned; the example still teaches "complaint".
                category_id=category if is_complaint and category in active else None,
            )
        )
    return examples


def _mask_terms() -> list[str]:
    # Every supplier's names, handles and hashtags: the model should learn complaints, not names.
    return list(SupplierAlias.objects.active().values_list("text", flat=True).distinct())


def _new_version() -> str:
    return f"learned-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def classifier_train(
    *,
    min_examples: int = DEFAULT_MIN_EXAMPLES,
    force: bool = False,
    held_out_share: float = HELD_OUT_SHARE,
) -> TrainingResult:
    """Train, score and store a new version; activate it if it beats the classifier in use.

    `force` trains however few examples there are (at least one of each kind) and activates the
    new version whatever its scores. `held_out_share=0` learns from every example (an evaluation
    that measures on a test set of its own does that); the scores are then on training data. The fitting runs outside any transaction; only storing and
    activating the result takes one.
    """
    started = time.perf_counter()
    examples = labelled_examples()
    result = TrainingResult(examples=len(examples))
    complaints = sum(example.is_complaint for example in examples)
    others = len(examples) - complaints
    if not force and len(examples) < min_examples:
        result.reason = f"{len(examples)} labelled posts; at least {min_examples} are needed"
        return result
    needed = 1 if force else MIN_PER_CLASS
    if complaints < needed or others < needed:
        result.reason = (
            f"{complaints} complaints and {others} posts that are not complaints among the "
            f"labelled posts; at least {needed} of each are needed"
        )
        return result

    training, held_out = learning.split_held_out(examples, held_out_share)
    if (
        not held_out
        or not any(e.is_complaint for e in training)
        or all(e.is_complaint for e in training)
    ):
        # Nothing held back (held_out_share=0, or too few examples to spare some): learn from
        # all and score on all; the metrics say so (held_out_is_training_data).
        training, held_out = examples, examples
    version = _new_version()
    try:
        model = learning.train(training, version=version, mask_terms=_mask_terms())
    except learning.TrainingError as exc:
        result.reason = str(exc)
        return result

    active_before = _active_version()
    current = engines.get_classifier()
    current_version = current.version
    result.metrics = learning.evaluate(model, held_out)
    result.baseline = learning.evaluate(current, held_out)
    result.baseline_version = current_version
    result.trained = True
    better = learning.is_better(result.metrics, result.baseline)
    result.seconds = round(time.perf_counter() - started, 2)

    metrics = {
        **result.metrics,
        "training_examples": len(training),
        "held_out_examples": len(held_out),
        "held_out_is_training_data": held_out is examples,
        "categories_learned": list(model.categories),
        "compared_with": {
            "version": current_version,
            **{k: v for k, v in result.baseline.items() if k.startswith(("complaint", "category"))},
        },
        "seconds": result.seconds,
    }
    result.model, result.activated, result.reason = _store(
        version=version,
        model=model,
        training_examples=len(training),
        metrics=metrics,
        activate=force or better,
        active_before=active_before,
        compared_with=current_version,
        forced=force and not better,
    )
    logger.info(
        "classifier %s trained on %d examples: complaint F1 %.3f (in use %s: %.3f); %s",
        version,
        len(training),
        result.metrics["complaint_f1"],
        current_version,
        result.baseline["complaint_f1"],
        "activated" if result.activated else result.reason,
    )
    return result


def _active_version() -> str | None:
    return ClassifierModel.objects.filter(is_active=True).values_list("version", flat=True).first()


@transaction.atomic
def _store(
    *,
    version: str,
    model: learning.LearnedClassifier,
    training_examples: int,
    metrics: dict[str, Any],
    activate: bool,
    active_before: str | None,
    compared_with: str,
    forced: bool,
) -> tuple[ClassifierModel, bool, str]:
    stored = ClassifierModel.objects.create(
        version=version,
        algorithm=model.algorithm[:200],
        training_examples=training_examples,
        metrics=metrics,
        artifact=learning.dumps(model),
    )
    if not activate:
        return stored, False, f"not better than the classifier in use ({compared_with})"
    active = ClassifierModel.objects.select_for_update().filter(is_active=True).first()
    if (active.version if active else None) != active_before and not forced:
        return stored, False, f"{active} was activated meanwhile; compared with {compared_with}"
    try:
        with transaction.atomic():
            _activate(stored)
    except IntegrityError:
        return stored, False, "another version was activated meanwhile"
    return stored, True, "forced" if forced else ""


def _activate(model: ClassifierModel) -> None:
    # One active version at most (classifier_one_active): the old one goes first.
    ClassifierModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    ClassifierModel.objects.filter(pk=model.pk).update(is_active=True)
    model.is_active = True


@transaction.atomic
def classifier_activate(*, model: ClassifierModel) -> ClassifierModel:
    """Make this stored version the one every worker uses (an operator's choice, e.g. a rollback)."""
    ClassifierModel.objects.select_for_update().filter(is_active=True).first()
    _activate(model)
    return model


@transaction.atomic
def classifier_deactivate_all() -> int:
    """Go back to the lexicon classifier."""
    return ClassifierModel.objects.filter(is_active=True).update(is_active=False)


# --- corrections ---------------------------------------------------------------------------------


def may_correct_labels(who: Viewer | User | None) -> bool:
    """Does this viewer correct public posts' labels at all: operators, and supplier staff who act
    (responders and admins), who may move a post to another category but not take it out as
    "not a complaint" (they dispute it instead: services.disputes)? Which posts: may_relabel. A page of one supplier's evidence offers
    the correction on this alone, without a query per post."""
    viewer = viewer_of(who)
    return viewer.is_operator or (viewer.is_supplier_staff and viewer.may_act)


def may_relabel(user: User | None, post: Post) -> bool:
    """May this person correct this post's label: a public post, corrected by an operator or by
    supplier staff who act (may_correct_labels) for a supplier the post is matched to."""
    viewer = viewer_of(user)
    if post.is_buyer_post or not may_correct_labels(viewer):
        return False
    if viewer.is_operator:
        return True
    supplier_id = viewer.supplier_id
    return (
        supplier_id is not None
        and PostMatch.objects.filter(post=post, supplier_id=supplier_id).exists()
    )


def post_relabel(
    *, post: Post, actor: User, is_complaint: bool | None, category: Category | None = None
) -> Post:
    """Correct a public post: a complaint (in `category`, or in the predicted one) or not one.

    `is_complaint=None` removes the correction. The post goes back to pending and is processed
    again once this commits, which moves it to the incident its label says (or out of any); the
    label is a training example from the next training run on.
    """
    posts_relabel(posts=[post], actor=actor, is_complaint=is_complaint, category=category)
    post.refresh_from_db()
    return post


@transaction.atomic
def posts_relabel(
    *,
    posts: Iterable[Post],
    actor: User,
    is_complaint: bool | None,
    category: Category | None = None,
) -> int:
    """post_relabel for many posts at once (the admin's bulk actions); the number relabelled.
    Refused unless the actor may correct every one of them (may_relabel)."""
    ids = [post.pk for post in posts]
    if is_complaint is not True and category is not None:
        raise ApplicationError("A post that is not a complaint has no category.", field="category")
    if category is not None:
        category.require_in_use()
    locked = list(Post.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if any(post.is_buyer_post for post in locked):
        raise ApplicationError(
            "Buyer reports are labelled by their reporter; only public posts can be corrected.",
            field="post",
        )
    if not all(may_relabel(actor, post) for post in locked):
        raise ApplicationError(
            "Only operators, and the responders of a supplier a post names, correct it.",
            code="forbidden",
        )
    if is_complaint is False and not viewer_of(actor).is_operator:
        # Evidence against a supplier never leaves on its own staff's word: they dispute it
        # (services.dispute_open), and an operator decides.
        raise ApplicationError(
            "A supplier's staff dispute evidence rather than remove it.",
            field="label",
            code="forbidden",
        )
    now = timezone.now()
    removing = is_complaint is None
    Post.objects.filter(pk__in=[post.pk for post in locked]).update(
        label_is_complaint=is_complaint,
        label_category=category,
        labelled_by=None if removing else actor,
        labelled_at=None if removing else now,
        status=Post.Status.PENDING,
        status_changed_at=now,
    )
    posts_queue([post.pk for post in locked])
    return len(locked)
