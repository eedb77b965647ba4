"""An operator's corrections of evidence: editing a post or deleting it. Each keeps what the
pipeline keeps: the same input rules as when the post arrived, counters that everyone may trust
(recounted at once, so a report made private stops being counted now), and the post grouped again
as it now reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import clean_public_post, clean_report
from ..models import Category, Post, PostMatch
from .complaint_days import complaint_days_add, grouped_complaints
from .processing import incidents_recount
from .queueing import posts_queue

# What an operator may change of each kind of evidence; the rest is what the pipeline derived.
REPORT_FIELDS = (
    "text",
    "visibility",
    "supplier",
    "category",
    "severity",
    "po_number",
    "sku",
    "lot",
    "quantity_affected",
    "published_at",
)
PUBLIC_POST_FIELDS = ("text", "author_handle", "url", "published_at")


def editable_fields(post: Post) -> tuple[str, ...]:
    return REPORT_FIELDS if post.is_buyer_post else PUBLIC_POST_FIELDS


def post_changes_clean(post: Post, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes as they would be stored, checked by the input rule of the post's kind together
    with what stays; ApplicationError names the field at fault."""
    unknown = sorted(set(changes) - set(editable_fields(post)))
    if unknown:
        raise ApplicationError("This cannot be changed by hand.", field=unknown[0])
    values = {name: changes.get(name, getattr(post, name)) for name in editable_fields(post)}
    if post.is_buyer_post:
        report = clean_report(
            **{name: values[name] for name in REPORT_FIELDS if name not in ("supplier", "category")}
        )
        cleaned: dict[str, Any] = {
            name: getattr(report, name) for name in changes if hasattr(report, name)
        }
        if "supplier" in changes:
            if not isinstance(changes["supplier"], Supplier):
                raise ApplicationError("Choose the supplier.", field="supplier")
            cleaned["supplier"] = changes["supplier"]
        if "category" in changes:
            category = changes["category"]
            if category is not None:
                if not isinstance(category, Category):
                    raise ApplicationError("Choose a category.", field="category")
                category.require_in_use()
            cleaned["category"] = category
    else:
        public = clean_public_post({"external_id": post.external_id, **values})
        cleaned = {name: getattr(public, name) for name in changes}
    if "published_at" in cleaned and cleaned["published_at"] is None:
        cleaned["published_at"] = post.published_at
    return cleaned


def _require_operator(actor: User) -> None:
    if not viewer_of(actor).is_operator:
        raise ApplicationError("Only operators correct evidence by hand.", code="forbidden")


def incidents_of(post_ids: Iterable[int]) -> set[int]:
    """The incidents these posts are grouped into."""
    return set(
        PostMatch.objects.filter(post_id__in=list(post_ids), incident__isnull=False).values_list(
            "incident_id", flat=True
        )
    )


@transaction.atomic
def post_update(*, post: Post, actor: User, **changes: Any) -> Post:
    """Correct a post. Its incidents are recounted at once (a report made private leaves every
    count now) and the post is processed again once this commits, so it is grouped as it reads."""
    _require_operator(actor)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    cleaned = {
        name: value
        for name, value in post_changes_clean(locked, changes).items()
        if getattr(locked, name) != value
    }
    if not cleaned:
        return locked
    # Its grouped evidence stays until it is processed again: counted by day as it now reads.
    daily = grouped_complaints([locked.pk])
    for name, value in cleaned.items():
        setattr(locked, name, value)
    locked.status = Post.Status.PENDING
    locked.status_changed_at = timezone.now()
    locked.save()
    daily.subtract(grouped_complaints([locked.pk]))
    # Its evidence lists read its time and visibility off its matches: a report made private
    # leaves them now, not when it is processed again.
    PostMatch.objects.filter(post=locked).update(**PostMatch.copies_of(locked))
    incidents_recount(incident_ids=incidents_of([locked.pk]), active_ids=())
    complaint_days_add({key: -n for key, n in daily.items()})
    posts_queue([locked.pk])
    return locked


@transaction.atomic
def posts_delete(*, posts: Iterable[Post], actor: User) -> int:
    """Delete evidence (spam, a duplicate); the incidents it was in are recounted."""
    _require_operator(actor)
    ids = [post.pk for post in posts]
    incident_ids = incidents_of(ids)
    daily = grouped_complaints(ids)
    _, deleted = Post.objects.filter(pk__in=ids).delete()
    incidents_recount(incident_ids=incident_ids, active_ids=())
    complaint_days_add({key: -n for key, n in daily.items()})
    return deleted.get(Post._meta.label, 0)
