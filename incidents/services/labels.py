"""Labels imported with public posts (ingest_posts --label-complaint/--label-category): each
newly stored post gets the complaint flag and category its file gives, as if a person had
labelled it, before the pipeline processes it; the next training run learns from them.

A file's category names are mapped to the taxonomy by name, slug or one of a category's label
names (Category.label_names, which operators edit in the admin), ignoring case. A name that maps
to none is created as a category of its own when asked (`create_missing`), so the model learns
an organization's own categories; otherwise its posts are complaints without a category.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..labels import Label
from ..models import Category, Post

# Where categories created from imported labels go in the taxonomy's order: after the seeded.
_CREATED_POSITION = 200


@dataclass
class LabelImportResult:
    labelled: int = 0
    complaints: int = 0
    categories_created: list[str] = field(default_factory=list)
    # Category names that map to no category (and were not created): labelled without one.
    unmapped: set[str] = field(default_factory=set)


def categories_for_labels(names: Iterable[str], *, create_missing: bool = False) -> dict[str, int]:
    """{name as the file spells it: category id} for the names that map to a category in use
    (created when missing, with create_missing)."""
    known: dict[str, int] = {}
    for category in Category.objects.active():
        for alias in (category.name, category.slug, *(category.label_names or [])):
            known.setdefault(str(alias).strip().casefold(), category.pk)
    found: dict[str, int] = {}
    for name in sorted(set(names)):
        key = name.strip().casefold()
        if key not in known and create_missing:
            known[key] = _category_create(name.strip()).pk
        if key in known:
            found[name] = known[key]
    return found


def _category_create(name: str) -> Category:
    base = slugify(name)[:90] or "category"
    slug, number = base, 1
    while Category.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return Category.objects.create(
        name=name[:100],
        slug=slug,
        keywords=[name.casefold()],
        label_names=[name],
        position=_CREATED_POSITION,
        description="Created from imported labels.",
    )


@transaction.atomic
def posts_label_imported(
    *, source: str, labels: Mapping[str, Label], create_missing: bool = False
) -> LabelImportResult:
    """Label the still pending, unlabelled posts of `source` with these external ids. Call it in
    the transaction that stored them, so they are processed (on commit) already labelled; a
    post stored before, or corrected by a person since, keeps what it has."""
    result = LabelImportResult()
    if not labels:
        return result
    names = {label.category for label in labels.values() if label.category}
    before = set(Category.objects.values_list("id", flat=True))
    categories = categories_for_labels(names, create_missing=create_missing)
    result.categories_created = sorted(
        Category.objects.exclude(id__in=before).values_list("name", flat=True)
    )
    result.unmapped = names - set(categories)
    groups: dict[tuple[bool, int | None], list[str]] = {}
    for external_id, label in labels.items():
        category = categories.get(label.category or "") if label.is_complaint else None
        groups.setdefault((label.is_complaint, category), []).append(external_id)
    now = timezone.now()
    for (is_complaint, category_id), external_ids in groups.items():
        for start in range(0, len(external_ids), 500):
            count = Post.objects.filter(
                source=source,
                external_id__in=external_ids[start : start + 500],
                status=Post.Status.PENDING,
                label_is_complaint__isnull=True,
            ).update(
                label_is_complaint=is_complaint,
                label_category_id=category_id,
                labelled_at=now,
            )
            result.labelled += count
            result.complaints += count if is_complaint else 0
    return result
