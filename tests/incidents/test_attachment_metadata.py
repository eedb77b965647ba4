"""An attachment never gives its reporter away: the metadata of photos (EXIF Artist, GPS, XMP,
comments), PDFs (document information, XMP) and Word or Excel files (document properties) is
removed before anything is stored, for every report, so that neither the supplier nor another buyer receives it; a file that cannot be
written again is refused by name; files stored before are cleaned by `scrub_attachments`.

The files are built here as a camera and a word processor make them, and checked to carry the
identity before the product sees them, so every test below fails if the metadata got through.
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib

import filetype
import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import ExifTags, Image, PngImagePlugin

from incidents import scrubbing
from incidents.models import Attachment, Post, Severity
from incidents.presenters import evidence_view
from incidents.scrubbing import CannotScrub, scrub
from supplierwatch.viewers import viewer_of
from tests.factories import BuyerPostFactory
from tests.helpers import PDF

ARTIST = "John Smith, Acme Manufacturing"
PDF_AUTHOR = "Jane Doe, Acme Quality"
XMP_AUTHOR = "Jane Doe of Acme in XMP"
COMMENT = "Shot by John at the Acme dock"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
    f"{XMP_AUTHOR}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
)
COMPANY = "Acme Manufacturing GmbH"
IDENTITY = (ARTIST, PDF_AUTHOR, XMP_AUTHOR, COMMENT, COMPANY)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://'
    b'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Lot L7: 40 '
    b"housings cracked</w:t></w:r></w:p></w:body></w:document>"
)
RED, BLUE = (220, 20, 20), (20, 20, 220)


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = ARTIST
    # Taken with the phone held upright: the sensor's picture must be turned 90 degrees clockwise.
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 8.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (11.0, 34.0, 12.0),
    }
    return exif


def _sensor_picture() -> Image.Image:
    """40 x 20, red on the left, blue on the right: upright, red is on top."""
    picture = Image.new("RGB", (40, 20), BLUE)
    picture.paste(RED, (0, 0, 20, 20))
    return picture


def camera_jpeg() -> bytes:
    output = io.BytesIO()
    _sensor_picture().save(output, "JPEG", exif=_camera_exif(), comment=COMMENT, xmp=XMP.encode())
    content = output.getvalue()
    assert all(text.encode() in content for text in (ARTIST, COMMENT, XMP_AUTHOR))
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return content


def camera_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST)
    info.add_itxt("Comment", COMMENT)
    info.add_itxt("XML:com.adobe.xmp", XMP)
    output = io.BytesIO()
    _sensor_picture().save(output, "PNG", pnginfo=info, exif=_camera_exif())
    content = output.getvalue()
    assert ARTIST.encode() in content and XMP_AUTHOR.encode() in content
    return content


def camera_webp() -> bytes:
    output = io.BytesIO()
    _sensor_picture().save(output, "WEBP", exif=_camera_exif(), xmp=XMP.encode())
    content = output.getvalue()
    assert ARTIST.encode() in content and XMP_AUTHOR.encode() in content
    return content


def phone_heic() -> bytes:
    """A HEIF's orientation is its own (libheif turns the picture); the EXIF tag a phone also
    writes must not turn it a second time."""
    upright = _sensor_picture().transpose(Image.Transpose.ROTATE_270)
    output = io.BytesIO()
    upright.save(output, "HEIF", exif=_camera_exif(), xmp=XMP.encode())
    content = output.getvalue()
    assert ARTIST.encode() in content and XMP_AUTHOR.encode() in content
    return content


def authored_pdf(pages: int = 2) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [XMP_AUTHOR]
    pdf.docinfo["/Author"] = PDF_AUTHOR
    output = io.BytesIO()
    pdf.save(output, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    content = output.getvalue()
    assert PDF_AUTHOR.encode() in content and XMP_AUTHOR.encode() in content
    return content


def word_document() -> bytes:
    """A .docx as Word saves it: its properties name the author, who saved it last, the company."""
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/content-types"/>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships"/>',
        "word/document.xml": DOCUMENT_XML,
        "docProps/core.xml": (
            '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
            'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>{ARTIST}</dc:creator><cp:lastModifiedBy>{PDF_AUTHOR}</cp:lastModifiedBy>"
            "</cp:coreProperties>"
        ).encode(),
        "docProps/app.xml": (
            '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/extended-properties"><Company>{COMPANY}</Company></Properties>'
        ).encode(),
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as package:
        for name, data in parts.items():
            package.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 30, 9, 41, 7)), data)
    content = output.getvalue()
    assert ARTIST.encode() in content and COMPANY.encode() in content
    return content


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims this size, with almost no pixels behind it (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def assert_clean_photo(content: bytes) -> None:
    """No identity, no EXIF at all, and the photo upright: 20 x 40 with red on top."""
    for text in IDENTITY:
        assert text.encode() not in content
    assert b"http://ns.adobe.com/xap/1.0/" not in content and b"xmpmeta" not in content
    image = Image.open(io.BytesIO(content))
    assert image.size == (20, 40)
    exif = image.getexif()
    assert len(exif) == 0 and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert "comment" not in image.info and "xmp" not in image.info
    top, bottom = image.convert("RGB").getpixel((10, 5)), image.convert("RGB").getpixel((10, 35))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def assert_clean_document(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for info in package.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            for text in IDENTITY:
                assert text.encode() not in package.read(info)
        assert package.read("word/document.xml") == DOCUMENT_XML
        assert b"coreProperties" in package.read("docProps/core.xml")
    assert filetype.guess(content[:8192]).mime == DOCX


def assert_clean_pdf(content: bytes, pages: int = 2) -> None:
    for text in IDENTITY:
        assert text.encode() not in content
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == pages
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert all(
            "/Metadata" not in item
            for item in pdf.objects
            if isinstance(item, pikepdf.Dictionary | pikepdf.Stream)
        )


# --- The pure core: bytes in, bytes out -----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (camera_jpeg, "image/jpeg"),
        (camera_png, "image/png"),
        (camera_webp, "image/webp"),
        (phone_heic, "image/heic"),
    ],
)
def test_a_photo_loses_its_metadata_and_stays_upright(make, content_type):
    scrubbed = scrub(make(), content_type)
    assert scrubbed is not None
    assert_clean_photo(scrubbed.content)


def test_a_heic_photo_is_kept_as_a_jpeg_that_every_browser_shows():
    scrubbed = scrub(phone_heic(), "image/heic")
    assert scrubbed is not None
    assert (scrubbed.content_type, scrubbed.extension) == ("image/jpeg", "jpg")
    assert Image.open(io.BytesIO(scrubbed.content)).format == "JPEG"


def test_a_pdf_loses_its_author_and_xmp_and_keeps_its_pages():
    scrubbed = scrub(authored_pdf(pages=3), "application/pdf")
    assert scrubbed is not None
    assert_clean_pdf(scrubbed.content, pages=3)


def test_a_pdf_gets_a_new_file_identifier():
    original = authored_pdf()
    scrubbed = scrub(original, "application/pdf")
    assert scrubbed is not None
    with (
        pikepdf.open(io.BytesIO(original)) as before,
        pikepdf.open(io.BytesIO(scrubbed.content)) as after,
    ):
        old_ids = {bytes(part) for part in before.trailer.ID}
        assert not old_ids & {bytes(part) for part in after.trailer.ID}


def test_a_word_document_loses_its_properties_and_keeps_its_content():
    scrubbed = scrub(word_document(), DOCX)
    assert scrubbed is not None
    assert (scrubbed.content_type, scrubbed.extension) == (DOCX, "docx")
    assert_clean_document(scrubbed.content)


def test_a_document_that_unpacks_to_too_much_is_refused_unread(monkeypatch):
    monkeypatch.setattr(scrubbing, "MAX_UNPACKED_BYTES", 500)
    with pytest.raises(CannotScrub, match="unpacks to more than"):
        scrub(word_document(), DOCX)


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg", "cannot be read as a photo"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "application/pdf", "PDF"),
        (_png_claiming(100_000, 100_000), "image/png", "megapixels"),  # Pillow's own limit
        (_png_claiming(8_000, 8_000), "image/png", "megapixels"),  # ours, below Pillow's
        (b"PK\x03\x04" + b"\x00" * 64, DOCX, "Word or Excel"),
    ],
    ids=[
        "damaged-photo",
        "damaged-pdf",
        "bomb-over-pillows-limit",
        "bomb-over-ours",
        "damaged-docx",
    ],
)
def test_a_file_that_cannot_be_written_again_is_refused(content, content_type, reason):
    with pytest.raises(CannotScrub, match=reason):
        scrub(content, content_type)


def test_a_password_protected_pdf_is_refused():
    pdf = pikepdf.open(io.BytesIO(PDF))
    output = io.BytesIO()
    pdf.save(output, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    with pytest.raises(CannotScrub, match="password"):
        scrub(output.getvalue(), "application/pdf")


def test_an_animation_is_refused_rather_than_cut_to_one_frame():
    output = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, BLUE)]
    frames[0].save(output, "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(CannotScrub, match="animation"):
        scrub(output.getvalue(), "image/webp")


# --- Through the report form, to every reader -----------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _form(supplier, **overrides) -> dict:
    data = {
        "token": str(uuid.uuid4()),
        "supplier": supplier.pk,
        "supplier_query": supplier.name,
        "po_number": "PO-KEEP-1",
        "sku": "HX-200",
        "lot": "L42",
        "quantity_affected": "40",
        "category": "",
        "severity": str(Severity.HIGH),
        "visibility": Post.Visibility.ANONYMOUS,
        "text": "Forty housings cracked on arrival",
    }
    return {**data, **overrides}


def _served(client, user, attachment: Attachment) -> bytes:
    client.force_login(user)
    response = client.get(reverse("attachment-download", args=[attachment.key]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", [Post.Visibility.ANONYMOUS, Post.Visibility.NAMED])
def test_a_reports_photo_and_pdf_reach_the_supplier_and_other_buyers_without_metadata(
    client, alice, bob, carol, initech, visibility
):
    client.force_login(alice)
    files = [
        SimpleUploadedFile("IMG_0042.jpg", camera_jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("ncr.pdf", authored_pdf(), content_type="application/pdf"),
        SimpleUploadedFile("8d-report.docx", word_document(), content_type="application/msword"),
    ]
    data = {**_form(initech, visibility=visibility), "files": files}
    assert client.post(reverse("buyer-report"), data).status_code == 302
    attachments = list(Attachment.objects.order_by("pk"))
    stored = [attachment.file.open("rb").read() for attachment in attachments]
    assert all(
        a.scrubbed and a.size == len(content)
        for a, content in zip(attachments, stored, strict=True)
    )
    assert_clean_photo(stored[0])
    assert_clean_pdf(stored[1])
    assert_clean_document(stored[2])
    for reader in (carol, bob, alice):
        for attachment, content in zip(attachments, stored, strict=True):
            assert _served(client, reader, attachment) == content


@pytest.mark.django_db
def test_a_heic_photo_is_stored_and_named_as_a_jpeg(client, alice, initech):
    client.force_login(alice)
    upload = SimpleUploadedFile("IMG_0043.HEIC", phone_heic(), content_type="image/heic")
    assert (
        client.post(reverse("buyer-report"), {**_form(initech), "files": [upload]}).status_code
        == 302
    )
    (photo,) = Attachment.objects.all()
    assert (photo.original_name, photo.content_type) == ("IMG_0043.jpg", "image/jpeg")
    assert photo.file.name.endswith(".jpg")
    assert_clean_photo(photo.file.open("rb").read())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "broken.jpg cannot be read as a photo"),
        ("huge.png", _png_claiming(100_000, 100_000), "huge.png is larger than 50 megapixels"),
    ],
    ids=["damaged", "bomb"],
)
def test_a_file_that_cannot_be_cleaned_is_refused_by_name_and_the_report_kept_in_the_form(
    client, alice, initech, name, content, message
):
    client.force_login(alice)
    files = [
        SimpleUploadedFile("fine.pdf", authored_pdf(), content_type="application/pdf"),
        SimpleUploadedFile(name, content, content_type="application/octet-stream"),
    ]
    response = client.post(reverse("buyer-report"), {**_form(initech), "files": files})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'value="PO-KEEP-1"' in html and "Forty housings cracked on arrival" in html
    assert not Post.objects.exists() and not Attachment.objects.exists()


# --- Files stored before: the command --------------------------------------------------------------


@pytest.mark.django_db
def test_scrub_attachments_cleans_what_was_stored_before_and_only_once(
    alice, initech, django_capture_on_commit_callbacks, capsys
):
    report = BuyerPostFactory(author=alice, organization=alice.party.organization, supplier=initech)

    def stored_before(name: str, content: bytes, content_type: str) -> Attachment:
        return Attachment.objects.create(
            post=report,
            file=ContentFile(content, name=name),
            original_name=name,
            content_type=content_type,
            size=len(content),
        )

    photo = stored_before("old.jpg", camera_jpeg(), "image/jpeg")
    heic = stored_before("old.heic", phone_heic(), "image/heic")
    document = stored_before("old.pdf", authored_pdf(), "application/pdf")
    damaged = stored_before("damaged.pdf", b"%PDF-1.4 nothing else", "application/pdf")
    sheet = stored_before("old.xls", b"\xd0\xcf\x11\xe0 an old sheet", "application/vnd.ms-excel")
    word = stored_before("old.docx", word_document(), DOCX)
    old_files = {a.pk: a.file.name for a in (photo, heic, document, word)}

    with django_capture_on_commit_callbacks(execute=True):
        call_command("scrub_attachments", batch_size=2)
    out, err = capsys.readouterr()
    assert "4 attachments cleaned, 1 left as they were." in out
    assert f"attachment {damaged.pk}: cannot be read as a PDF" in err

    for attachment in (photo, heic, document, word):
        attachment.refresh_from_db()
        assert attachment.scrubbed
        assert attachment.file.name != old_files[attachment.pk]
        assert not attachment.file.storage.exists(old_files[attachment.pk])
    assert_clean_photo(photo.file.open("rb").read())
    assert_clean_photo(heic.file.open("rb").read())
    assert (heic.content_type, heic.original_name) == ("image/jpeg", "old.jpg")
    assert_clean_pdf(document.file.open("rb").read())
    assert_clean_document(word.file.open("rb").read())
    assert photo.size == photo.file.size
    damaged.refresh_from_db()
    sheet.refresh_from_db()
    assert not damaged.scrubbed and not sheet.scrubbed

    cleaned_photo = photo.file.open("rb").read()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("scrub_attachments")
    assert "0 attachments cleaned, 1 left as they were." in capsys.readouterr().out
    photo.refresh_from_db()
    assert photo.file.open("rb").read() == cleaned_photo


def test_the_limit_on_photo_size_is_below_pillows_own():
    assert scrubbing.MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS


@pytest.mark.django_db
def test_a_file_not_yet_cleaned_reaches_only_those_who_may_know_its_reporter(
    client, alice, bob, carol, initech
):
    report = BuyerPostFactory(
        author=alice,
        organization=alice.party.organization,
        supplier=initech,
        visibility=Post.Visibility.ANONYMOUS,
    )
    stored_before = Attachment.objects.create(
        post=report,
        file=ContentFile(camera_jpeg(), name="IMG_0042.jpg"),
        original_name="IMG_0042.jpg",
        content_type="image/jpeg",
        size=len(camera_jpeg()),
    )
    address = reverse("attachment-download", args=[stored_before.key])
    for outsider in (carol, bob):
        client.force_login(outsider)
        assert client.get(address).status_code == 404
        assert not evidence_view(report, viewer_of(outsider)).attachments
    assert _served(client, alice, stored_before) == camera_jpeg()
