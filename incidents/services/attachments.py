"""Photos and documents attached to buyer reports: checked by content, written again without
their metadata (scrubbing.py) before anything is stored, and stored under random names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

import filetype
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..models import Attachment, Post, attachment_path
from ..scrubbing import CannotScrub, Scrubbed, scrub, scrubs
from .reports import ReportArguments, post_report

# What a buyer may attach, by the type read from the file's first bytes (never from its name or the
# browser's word for it).
ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
ALLOWED_DESCRIPTION = "JPEG, PNG, WebP or HEIC photos; PDF, Word (.docx) or Excel (.xlsx) documents"
# filetype reads at most this many bytes to recognise a type.
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    content_type: str
    extension: str
    size: int


def attachments_check(*, files: Sequence[UploadedFile]) -> list[CheckedUpload]:
    """Refuse too many, too large or disallowed files, naming the file; reads no more than a header."""
    if len(files) > MAX_FILES:
        raise ApplicationError(f"Attach at most {MAX_FILES} files.", field="files")
    checked = []
    for upload in files:
        name = upload.name or "file"
        size = upload.size
        assert size is not None  # an upload's size is known once received
        if size > MAX_FILE_BYTES:
            raise ApplicationError(
                f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.", field="files"
            )
        if size == 0:
            raise ApplicationError(f"{name} is empty.", field="files")
        upload.seek(0)
        head = upload.read(_SNIFF_BYTES)
        upload.seek(0)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise ApplicationError(
                f"{name} is not a file type we accept ({ALLOWED_DESCRIPTION}).", field="files"
            )
        checked.append(CheckedUpload(upload, kind.mime, ALLOWED_TYPES[kind.mime], size))
    return checked


@dataclass(frozen=True)
class CleanUpload:
    """An upload as it will be stored: its content without metadata, under its detected type."""

    original_name: str
    content: bytes
    content_type: str
    extension: str


def attachments_clean(*, files: Sequence[UploadedFile]) -> list[CleanUpload]:
    """Check each file (attachments_check), then write it again without what it says about its
    author; a file that cannot be is refused, naming it. Uses no database, so that the work on
    large photos holds no transaction open; nothing of the original is kept."""
    cleaned = []
    for upload in attachments_check(files=files):
        name = (upload.file.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:255]
        upload.file.seek(0)
        content = upload.file.read()
        try:
            scrubbed = scrub(content, upload.content_type)
        except CannotScrub as refusal:
            raise ApplicationError(f"{name} {refusal.reason}.", field="files") from refusal
        if scrubbed is None:
            cleaned.append(CleanUpload(name, content, upload.content_type, upload.extension))
            continue
        cleaned.append(
            CleanUpload(
                _renamed(name, upload.content_type, scrubbed),
                scrubbed.content,
                scrubbed.content_type,
                scrubbed.extension,
            )
        )
    return cleaned


def _renamed(name: str, content_type: str, scrubbed: Scrubbed) -> str:
    """A HEIC photo is kept as a JPEG: its name says so too."""
    if scrubbed.content_type == content_type:
        return name
    return f"{name.rsplit('.', 1)[0][:250]}.{scrubbed.extension}"


def _store(post: Post, uploads: Sequence[CleanUpload]) -> list[Attachment]:
    if not post.is_buyer_post:
        raise ApplicationError("Only buyer reports carry attachments.", field="files")
    if post.attachments.count() + len(uploads) > MAX_FILES:
        raise ApplicationError(f"Attach at most {MAX_FILES} files.", field="files")
    attachments = []
    for upload in uploads:
        attachment = Attachment(
            post=post,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=len(upload.content),
            scrubbed=True,
        )
        # Stored under a random name with the extension of the detected type, never the given one.
        attachment.file.save(f"upload.{upload.extension}", ContentFile(upload.content), save=False)
        attachment.save()
        attachments.append(attachment)
    return attachments


def attachments_add(*, post: Post, files: Sequence[UploadedFile]) -> list[Attachment]:
    """Attach files to a buyer report, after checking each by its content and removing its
    metadata."""
    uploads = attachments_clean(files=files)
    with transaction.atomic():
        return _store(post, uploads)


def post_report_with_attachments(
    *, author: User, files: Sequence[UploadedFile] = (), **report: Unpack[ReportArguments]
) -> Post:
    """Report a problem with its photos and documents: all of it, or nothing (one transaction,
    opened once the files are clean)."""
    uploads = attachments_clean(files=files)
    with transaction.atomic():
        post = post_report(author=author, **report)
        if uploads:
            _store(post, uploads)
    return post


def attachment_scrub(*, attachment: Attachment) -> bool:
    """Write a file stored before uploads were cleaned again without its metadata, under a new
    name, and delete the old file once the row points at the new one. False when there was nothing
    to do (a type that is kept as it is, or already done); CannotScrub for a file that cannot be
    read or written; OSError when the file is missing. Safe to run twice, and beside uploads."""
    if attachment.scrubbed or not scrubs(attachment.content_type):
        return False
    old_name = attachment.file.name or ""
    storage = attachment.file.storage
    with storage.open(old_name, "rb") as handle:
        content = handle.read()
    scrubbed = scrub(content, attachment.content_type)
    assert scrubbed is not None  # scrubs() said this type is written again
    # The new file is written outside the transaction (storage may be a network service); the row
    # moves to it only if nobody did so meanwhile.
    new_name = storage.save(
        attachment_path(attachment, f"upload.{scrubbed.extension}"), ContentFile(scrubbed.content)
    )
    with transaction.atomic():
        moved = Attachment.objects.filter(pk=attachment.pk, scrubbed=False, file=old_name).update(
            file=new_name,
            content_type=scrubbed.content_type,
            size=len(scrubbed.content),
            original_name=_renamed(attachment.original_name, attachment.content_type, scrubbed),
            scrubbed=True,
        )
        stale = old_name if moved else new_name
        transaction.on_commit(lambda: storage.delete(stale))
    return bool(moved)
