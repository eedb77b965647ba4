from __future__ import annotations

import uuid
from datetime import datetime
from typing import Required, TypedDict

from django.db import transaction
from django.utils import timezone

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import clean_report
from ..models import Category, Post, Severity
from .queueing import posts_queue


class ReportArguments(TypedDict, total=False):
    """post_report's keyword arguments but its author, for the services that pass them on."""

    supplier: Required[Supplier]
    text: Required[str]
    category: Category | None
    severity: int
    visibility: str
    po_number: str
    sku: str
    lot: str
    quantity_affected: int | None
    external_id: str | None
    published_at: datetime | None


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
    """A buyer reports a quality problem; the pipeline groups it once it is committed.

    The values are checked by incidents.inputs.clean_report, whatever channel they came through.
    """
    viewer = viewer_of(author)
    if not viewer.is_buyer:
        raise ApplicationError(
            "Only members of a buyer organization can report problems.", code="forbidden"
        )
    report = clean_report(
        text=text,
        visibility=visibility,
        severity=severity,
        po_number=po_number,
        sku=sku,
        lot=lot,
        quantity_affected=quantity_affected,
        published_at=published_at,
    )
    if category is not None:
        category.require_in_use()
    post = Post.objects.create(
        source=Post.BUYER_SOURCE,
        external_id=external_id or uuid.uuid4().hex,
        organization_id=viewer.organization_id,
        author=author,
        supplier=supplier,
        category=category,
        text=report.text,
        severity=report.severity,
        visibility=report.visibility,
        po_number=report.po_number,
        sku=report.sku,
        lot=report.lot,
        quantity_affected=report.quantity_affected,
        published_at=report.published_at or timezone.now(),
        queued_at=timezone.now(),
    )
    posts_queue([post.pk], stamped=True)
    return post
