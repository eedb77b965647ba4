"""What a photo or document says about who made it, removed before it is stored.

A phone photo names its owner and where it was taken (EXIF Artist, GPS, XMP, IPTC, comments); a
PDF names its author in its document information and its XMP metadata; a Word or Excel file names
its author, who saved it last and their company in its document properties. An anonymous report's
attachment would give its reporter away, so every attachment is written again from what it shows
(pixels, pages, the document's own parts) and nothing else, whoever reported it. Pure: bytes in,
bytes out; no Django.
"""

from __future__ import annotations

import io
import secrets
import warnings
import zipfile
from dataclasses import dataclass

import pikepdf
import pillow_heif
from PIL import Image, ImageOps, JpegImagePlugin

# HEIC (iPhone photos) is read through libheif and stored as JPEG: re-encoding HEIC is slow, and
# only Safari shows it, whereas every browser shows a JPEG.
pillow_heif.register_heif_opener()

# Bigger photos are refused before they are decoded: a few kilobytes of compressed pixels can
# claim gigabytes once decoded (a decompression bomb). 50 megapixels is above a 48 MP phone photo
# and below Pillow's own warning threshold; decoded, it takes about 150 MB in RGB.
MAX_IMAGE_PIXELS = 50_000_000
# A photo written again as JPEG without its source's quantization tables (HEIC) gets this quality.
JPEG_QUALITY = 90

# Detected type -> (Pillow's names for the formats it may be read as, the type it is stored as).
_IMAGES = {
    "image/jpeg": (("JPEG",), "image/jpeg"),
    "image/png": (("PNG",), "image/png"),
    "image/webp": (("WEBP",), "image/webp"),
    "image/heic": (("HEIF",), "image/jpeg"),
}
_SAVE_AS = {
    "image/jpeg": ("JPEG", "jpg"),
    "image/png": ("PNG", "png"),
    "image/webp": ("WEBP", "webp"),
}
_OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# A Word or Excel file's document properties, written again empty (their parts stay, so that no
# relationship points at a missing part): author, last saved by, company, manager, custom fields.
_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EMPTY_PROPERTIES = {
    "docProps/core.xml": _XML
    + b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.'
    b'org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    "docProps/app.xml": _XML
    + b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'extended-properties"/>',
    "docProps/custom.xml": _XML
    + b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'custom-properties"/>',
}
# A 10 MB upload may unpack to far more (a zip bomb); past these it is refused unread.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_PARTS = 5_000
# Every part is dated so, rather than when its author saved it.
_PART_DATE = (1980, 1, 1, 0, 0, 0)
# The (detected) types written again; any other is stored as uploaded.
SCRUBBED_TYPES = frozenset([*_IMAGES, "application/pdf", *_OFFICE])
# What of an image's own description is kept: how to draw its pixels, nothing about who or where.
_KEPT_INFO = ("transparency", "icc_profile")
# Keys that name a person or a program's private data, wherever they sit in a PDF: XMP metadata
# streams (document, pages, images, fonts) and application data (/PieceInfo).
_PDF_PRIVATE_KEYS = ("/Metadata", "/PieceInfo")


class CannotScrub(Exception):
    """The file cannot be read or written again, so it cannot be made safe to show; the reason
    completes a sentence that starts with the file's name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Scrubbed:
    content: bytes
    content_type: str
    extension: str


def scrubs(content_type: str) -> bool:
    """Whether files of this (detected) type are written again without their metadata."""
    return content_type in SCRUBBED_TYPES


def scrub(content: bytes, content_type: str) -> Scrubbed | None:
    """The file written again without what it says about its author, or None for a type that is
    stored as it is. CannotScrub when the file cannot be read or written."""
    if content_type in _IMAGES:
        return _scrub_image(content, content_type)
    if content_type == "application/pdf":
        return Scrubbed(_scrub_pdf(content), "application/pdf", "pdf")
    if content_type in _OFFICE:
        return Scrubbed(_scrub_office(content), content_type, _OFFICE[content_type])
    return None


def _scrub_image(content: bytes, content_type: str) -> Scrubbed:
    formats, stored_type = _IMAGES[content_type]
    pillow_format, extension = _SAVE_AS[stored_type]
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than refuses) between its limit and twice it; both refuse here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=list(formats)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise CannotScrub(
                        f"is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels; "
                        "attach a smaller photo"
                    )
                if getattr(image, "is_animated", False):
                    raise CannotScrub("is an animation; attach a still photo")
                options = _encoder_options(image, pillow_format, content)
                # The camera's orientation is applied to the pixels, since the tag that told a
                # viewer to turn the photo goes with the rest of the metadata.
                upright = ImageOps.exif_transpose(image)
                upright.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
                if pillow_format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
                output = io.BytesIO()
                upright.save(output, pillow_format, **options)
    except CannotScrub:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CannotScrub(
            f"is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels; attach a smaller photo"
        ) from None
    except Exception as error:
        # Pillow and libheif answer a damaged file with any of a dozen exception types.
        raise CannotScrub("cannot be read as a photo; it may be damaged") from error
    return Scrubbed(output.getvalue(), stored_type, extension)


def _encoder_options(image: Image.Image, pillow_format: str, content: bytes) -> dict[str, object]:
    """Only what keeps the pixels as they were (never `exif`, `xmp` or `comment`)."""
    options: dict[str, object] = {}
    if "icc_profile" in image.info:
        options["icc_profile"] = image.info["icc_profile"]
    if "transparency" in image.info and pillow_format == "PNG":
        options["transparency"] = image.info["transparency"]
    if pillow_format == "JPEG":
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            # The source's own tables and sampling: written again, a photo looks as it did.
            options["qtables"] = image.quantization
            options["subsampling"] = JpegImagePlugin.get_sampling(image)
        else:
            options["quality"] = JPEG_QUALITY
    elif pillow_format == "WEBP":
        # A lossless WebP (a screenshot, say) stays lossless; a photo is written at JPEG_QUALITY.
        if content[12:16] == b"VP8L":
            options["lossless"] = True
        else:
            options["quality"] = JPEG_QUALITY
    return options


def _scrub_pdf(content: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if len(pdf.pages) == 0:
                raise CannotScrub("has no pages")
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for item in pdf.objects:
                if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                    for key in _PDF_PRIVATE_KEYS:
                        if key in item:
                            del item[key]
            # The file identifier would tie this copy to the author's original; a new one.
            pdf.trailer.ID = pikepdf.Array(
                [pikepdf.String(secrets.token_bytes(16)), pikepdf.String(secrets.token_bytes(16))]
            )
            output = io.BytesIO()
            # Streams are copied as they are, never decompressed: a small file that inflates to
            # gigabytes costs no more than its size. Only reachable objects are written, so the
            # metadata removed above and earlier revisions of the file are gone.
            pdf.save(
                output,
                deterministic_id=True,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                fix_metadata_version=False,
            )
    except CannotScrub:
        raise
    except pikepdf.PasswordError:
        raise CannotScrub("is protected by a password; attach it without one") from None
    except Exception as error:
        raise CannotScrub("cannot be read as a PDF; it may be damaged") from error
    return output.getvalue()


def _scrub_office(content: bytes) -> bytes:
    """The package again, part by part in the same order, with empty document properties. What
    the document itself holds (its text, the names on its comments and tracked changes) stays."""
    too_large = f"unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            parts = package.infolist()
            if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
                raise CannotScrub(too_large)
            output = io.BytesIO()
            with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as cleaned:
                for part in parts:
                    if part.is_dir():
                        continue
                    # A part's declared size bounds what reading it may return.
                    data = _EMPTY_PROPERTIES.get(part.filename) or package.read(part)
                    entry = zipfile.ZipInfo(part.filename, date_time=_PART_DATE)
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    cleaned.writestr(entry, data)
    except CannotScrub:
        raise
    except Exception as error:
        raise CannotScrub("cannot be read as a Word or Excel file; it may be damaged") from error
    return output.getvalue()
