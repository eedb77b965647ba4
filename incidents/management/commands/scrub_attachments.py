"""python manage.py scrub_attachments: remove the metadata of attachments stored before uploads
were cleaned."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from incidents.models import Attachment
from incidents.scrubbing import SCRUBBED_TYPES, CannotScrub
from incidents.services import attachment_scrub

HELP = """\
Write every attachment stored before uploads were cleaned again without its metadata (EXIF, GPS,
XMP, comments of photos; a PDF's document information and XMP; the document properties of Word
and Excel files), as uploads are now: a new file replaces the old one, which is deleted. HEIC
photos become JPEG, as new uploads do.

Run it once after upgrading; running it again only does what is left (attachments are marked
once done), and it may run while the site takes new reports. A file that cannot be read or is
missing is listed by attachment id and left as it is (and served as it is), for the operator to
decide on.

A command rather than a data migration: it reads and writes files (possibly thousands, possibly
on a network storage), which must neither hold `migrate` in one transaction nor fail it for one
damaged file; and it can be stopped and run again.
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=200, help="Rows read at a time (default 200)."
        )

    def handle(self, *args, batch_size: int, **options) -> None:
        pending = Attachment.objects.filter(
            scrubbed=False, content_type__in=SCRUBBED_TYPES
        ).order_by("pk")
        cleaned = failed = 0
        last = 0
        while batch := list(pending.filter(pk__gt=last)[:batch_size]):
            for attachment in batch:
                last = attachment.pk
                try:
                    cleaned += attachment_scrub(attachment=attachment)
                except CannotScrub as refusal:
                    failed += 1
                    self.stderr.write(f"attachment {attachment.pk}: {refusal.reason}")
                except OSError as missing:
                    failed += 1
                    self.stderr.write(f"attachment {attachment.pk}: {missing.strerror or missing}")
        self.stdout.write(f"{cleaned} attachments cleaned, {failed} left as they were.")
