"""What a viewer sees of one piece of evidence: a post, anonymised as DESIGN.md's table says, its
attachments' names, and its link made safe. Every page, the API and every later channel build
evidence here; none reads a reporter's identity off a Post itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils.crypto import salted_hmac

from supplierwatch.viewers import Viewer

from ..models import Attachment, Category, Dispute, Post, Severity, to_the_hour

if TYPE_CHECKING:
    from suppliers.models import User

# Browsers show these inline; every other attachment is downloaded.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def safe_url(url: str | None) -> str:
    """The URL if it is an http(s) address that parses; "" otherwise (javascript:, data:, a
    broken one such as `http://[abc`), so nothing else is ever rendered as a link."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is no number raises here, not in a template
    except ValueError:
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def person_view(user: User | None) -> Person | None:
    return Person(user.display_name, user.email) if user is not None else None


@dataclass(frozen=True)
class Party:
    slug: str
    name: str


@dataclass(frozen=True)
class AttachmentView:
    id: int
    url: str
    # The uploaded file's own name when the viewer may know who reported; "Photo 1" otherwise,
    # since a file name can carry its uploader's name or company ("acme-ncr-4711.pdf").
    label: str
    # The name a download is saved under: the same rule, with the file's extension.
    filename: str
    is_photo: bool
    inline: bool
    content_type: str
    size: int


def attachment_view(attachment: Attachment, number: int, *, reveals: bool) -> AttachmentView:
    """The attachment numbered `number` (from 1, in the order they were attached) of its post."""
    is_photo = attachment.content_type.startswith("image/")
    word = "Photo" if is_photo else "Document"
    extension = PurePosixPath(attachment.file.name or "").suffix.lower()
    return AttachmentView(
        id=attachment.pk,
        url=reverse("attachment-download", args=[attachment.key]),
        label=attachment.original_name if reveals else f"{word} {number}",
        filename=attachment.original_name if reveals else f"{word.lower()}-{number}{extension}",
        is_photo=is_photo,
        inline=attachment.content_type in INLINE_TYPES,
        content_type=attachment.content_type,
        size=attachment.size,
    )


def attachment_views(post: Post, *, reveals: bool) -> list[AttachmentView]:
    """The post's attachments (prefetched by the selectors) that the viewer may download, numbered
    in the order attached. A file stored before uploads were cleaned of their metadata, and not
    cleaned since (`manage.py scrub_attachments`), reaches only those who may know who reported it:
    its EXIF or PDF author could name the reporter to anyone else."""
    ordered = sorted(
        (attachment for attachment in post.attachments.all() if attachment.scrubbed or reveals),
        key=lambda a: (a.created_at, a.pk),
    )
    return [
        attachment_view(attachment, number, reveals=reveals)
        for number, attachment in enumerate(ordered, start=1)
    ]


@dataclass(frozen=True)
class Reporter:
    """Who reported a buyer report: only ever built for a viewer its visibility reveals it to."""

    organization: Party
    author: Person | None
    # The buyer's own order number: a supplier could look the customer up by it.
    po_number: str


@dataclass(frozen=True)
class DisputeMark:
    """The supplier's dispute of a piece of evidence, as a viewer sees it beside the evidence."""

    id: int
    reason: str
    reason_label: str
    status: str
    status_label: str
    # The supplier's note, for the supplier's side and for whoever decides; "" for the rest.
    note: str
    # May this viewer accept or reject it (while it is open)?
    decidable: bool

    @property
    def is_open(self) -> bool:
        return self.status == Dispute.Status.OPEN


def dispute_mark(dispute: Dispute, viewer: Viewer) -> DisputeMark:
    decides = dispute.decidable_by(viewer)
    return DisputeMark(
        id=dispute.pk,
        reason=dispute.reason,
        reason_label=dispute.get_reason_display(),
        status=dispute.status,
        status_label=dispute.get_status_display(),
        note=dispute.note if decides or viewer.sees_supplier_side else "",
        decidable=decides and dispute.is_open,
    )


def evidence_reference(post: Post, viewer: Viewer) -> str:
    """What a supplier's staff name a piece of evidence by when they dispute it: a keyed hash of
    the post for their supplier, never its id, which would order an anonymous report against
    named evidence (selectors.incident_evidence_by_reference finds the post again). "" for
    everyone else, who dispute nothing."""
    if not viewer.is_supplier_staff or viewer.supplier_id is None:
        return ""
    return salted_hmac(_REFERENCE_SALT, f"{viewer.supplier_id}:{post.pk}").hexdigest()[:24]


_REFERENCE_SALT = "incidents.evidence-reference"


@dataclass(frozen=True)
class EvidenceView:
    # None for a report whose reporter the viewer may not know: its place in the sequence of all
    # posts would order it against named evidence.
    id: int | None
    kind: str  # "buyer_report" or "public_post"
    source: str
    text: str
    # To the hour when the viewer may not know who reported it: an exact time would place an
    # anonymous report against the named evidence of the same minute.
    published_at: datetime
    published_to_the_hour: bool
    visibility: str
    category: Category | None
    severity: int | None
    sku: str
    lot: str
    quantity_affected: int | None
    author_handle: str  # public posts only: their authors are public
    url: str  # public posts only, and only a safe one
    reporter: Reporter | None
    attachments: list[AttachmentView] = field(default_factory=list)
    # Public posts only: the label-correction form needs the post itself.
    public_post: Post | None = None
    # The supplier's dispute of it (selectors.incident_evidence loads it), if any.
    dispute: DisputeMark | None = None
    # How the supplier's staff name it in a dispute (evidence_reference); "" for others.
    reference: str = ""
    # Which model classified it (its version), for operators; "" for everyone else.
    classifier_version: str = ""

    @property
    def is_public(self) -> bool:
        return self.kind == "public_post"

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label if self.severity else ""


def evidence_view(post: Post, viewer: Viewer) -> EvidenceView:
    """One post as this viewer may see it, built only from the fields the viewer may read; a
    report whose reporter the viewer may not know is dated to the hour (listed by
    PostQuerySet.with_shown_time, which dates it the same)."""
    disputes = getattr(post, "shown_disputes", None) or []
    dispute = dispute_mark(disputes[0], viewer) if disputes else None
    reference = evidence_reference(post, viewer)
    version = post.classifier_version if viewer.is_operator else ""
    if not post.is_buyer_post:
        return EvidenceView(
            id=post.pk,
            kind="public_post",
            source=post.source,
            text=post.text,
            published_at=post.published_at,
            published_to_the_hour=False,
            visibility=post.visibility,
            category=post.shown_category,
            severity=None,
            sku="",
            lot="",
            quantity_affected=None,
            author_handle=post.author_handle,
            url=safe_url(post.url),
            reporter=None,
            public_post=post,
            dispute=dispute,
            reference=reference,
            classifier_version=version,
        )
    reveals = post.reveals_identity_to(viewer)
    reporter = None
    if reveals and post.organization is not None:
        reporter = Reporter(
            organization=Party(post.organization.slug, post.organization.name),
            author=person_view(post.author),
            po_number=post.po_number,
        )
    return EvidenceView(
        id=post.pk if reveals else None,
        kind="buyer_report",
        source=post.source,
        text=post.text,
        published_at=post.published_at if reveals else to_the_hour(post.published_at),
        published_to_the_hour=not reveals,
        visibility=post.visibility,
        category=post.shown_category,
        severity=post.severity,
        sku=post.sku,
        lot=post.lot,
        quantity_affected=post.quantity_affected,
        author_handle="",
        url="",
        reporter=reporter,
        attachments=attachment_views(post, reveals=reveals),
        dispute=dispute,
        reference=reference,
        classifier_version=version,
    )
