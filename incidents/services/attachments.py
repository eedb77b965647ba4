"""Photos and documents attached to buyer reports: checked by content, stored under random names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..models import Attachment, Post
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


@transaction.atomic
def attachments_add(*, post: Post, files: Sequence[UploadedFile]) -> list[Attachment]:
    """Attach files to a buyer report, after checking each by its content."""
    if not post.is_buyer_post:
        raise ApplicationError("Only buyer reports carry attachments.", field="files")
    if post.attachments.count() + len(files) > MAX_FILES:
        raise ApplicationError(f"Attach at most {MAX_FILES} files.", field="files")
    attachments = []
    for upload in attachments_check(files=files):
        original = (upload.file.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:255]
        attachment = Attachment(
            post=post,
            original_name=original,
            content_type=upload.content_type,
            size=upload.size,
        )
        # Stored under a random name with the extension of the detected type, never the given one.
        attachment.file.save(f"upload.{upload.extension}", upload.file, save=False)
        attachment.save()
        attachments.append(attachment)
    return attachments


@transaction.atomic
def post_report_with_attachments(
    *, author: User, files: Sequence[UploadedFile] = (), **report: Unpack[ReportArguments]
) -> Post:
    """Report a problem with its photos and documents: all of it, or nothing (one transaction)."""
    post = post_report(author=author, **report)
    if files:
        attachments_add(post=post, files=files)
    return post
