from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError

from ..models import Category, Post, Severity
from .processing import posts_queue


@transaction.atomic
def post_report(
    *,
    author: User,
    supplier: Supplier,
    text: str,
    category: Category | None = None,
    severity: int = Severity.MEDIUM,
    visibility: str = Post.Visibility.ANONYMOUS,
    po_number: str = "",
    sku: str = "",
    lot: str = "",
    quantity_affected: int | None = None,
    external_id: str | None = None,
    published_at: datetime | None = None,
) -> Post:
    """A buyer reports a quality problem; the pipeline groups it once it is committed."""
    membership = author.party
    if membership is None or not membership.is_buyer:
        raise ApplicationError("Only members of a buyer organization can report problems.")
    if visibility == Post.Visibility.PUBLIC or visibility not in Post.Visibility.values:
        raise ApplicationError("Choose private, anonymous or named.", field="visibility")
    if not text.strip():
        raise ApplicationError("Describe the problem.", field="text")
    post = Post.objects.create(
        source=Post.BUYER_SOURCE,
        external_id=external_id or uuid.uuid4().hex,
        organization_id=membership.organization_id,
        author=author,
        supplier=supplier,
        text=text.strip(),
        category=category,
        severity=severity,
        visibility=visibility,
        po_number=po_number.strip(),
        sku=sku.strip(),
        lot=lot.strip(),
        quantity_affected=quantity_affected,
        published_at=published_at or timezone.now(),
    )
    posts_queue([post.pk])
    return post
