"""The buyer pages through the Django test client: who sees what, the report form, attachments,
following, and the fixed number of queries each page costs.

The world: Acme (alice) reported three problems with Initech (carol), one per visibility, plus a
public post about Initech; all four are in one Initech incident. A second Initech incident holds only
another private Acme report. Bob (Globex) is the other buyer; dave works for Umbrella.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from incidents import services
from incidents.models import Attachment, Follow, Incident, IncidentEvent, Post, Severity
from incidents.services import attachments as attachments_service
from incidents.services.processing import incidents_recount
from suppliers.models import Supplier
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerMembershipFactory,
    BuyerPostFactory,
    CategoryFactory,
    IncidentEventFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
    SupplierAliasFactory,
    SupplierFactory,
    VendorCodeFactory,
    defect_category,
)
from tests.helpers import PDF, png

pytestmark = pytest.mark.django_db

PRIVATE_TEXT = "Acme only: housings cracked in lot L7, do not tell anyone"
ANONYMOUS_TEXT = "Housings cracked again in lot L7, forty units out of spec"
NAMED_TEXT = "Lot L7: 40 cracked housings, reported by name"
PUBLIC_TEXT = "Initech housings cracking everywhere"
PRIVATE_ALONE_TEXT = "Acme only: certificate of conformance missing"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class World:
    incident: Incident
    private_only_incident: Incident
    private_report: Post
    anonymous_report: Post
    named_report: Post
    public_post: Post


def _report(alice, visibility: str, text: str, **extra) -> Post:
    membership = alice.party
    return BuyerPostFactory(
        organization=membership.organization,
        author=alice,
        visibility=visibility,
        text=text,
        **extra,
    )


@pytest.fixture
def world(acme, globex, initech, umbrella, alice, bob, carol, dave) -> World:
    alice.last_name = "Archer"
    alice.save()
    private_report = _report(
        alice, Post.Visibility.PRIVATE, PRIVATE_TEXT, supplier=initech, po_number="PO-ACME-1"
    )
    anonymous_report = _report(
        alice, Post.Visibility.ANONYMOUS, ANONYMOUS_TEXT, supplier=initech, po_number="PO-ACME-2"
    )
    named_report = _report(
        alice, Post.Visibility.NAMED, NAMED_TEXT, supplier=initech, po_number="PO-ACME-3"
    )
    public_post = PublicPostFactory(text=PUBLIC_TEXT, author_handle="@angry_engineer")
    alone = _report(alice, Post.Visibility.PRIVATE, PRIVATE_ALONE_TEXT, supplier=initech)
    incident = IncidentFactory(supplier=initech, title="Cracked housings, lot L7")
    private_only_incident = IncidentFactory(supplier=initech, title="Certificate missing")
    for post in (private_report, anonymous_report, named_report, public_post):
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    PostMatchFactory(post=alone, supplier=initech, incident=private_only_incident)
    incidents_recount(incident_ids=[incident.pk, private_only_incident.pk])
    incident.refresh_from_db()
    private_only_incident.refresh_from_db()
    return World(
        incident, private_only_incident, private_report, anonymous_report, named_report, public_post
    )


def _identity_of(alice) -> list[str]:
    """Everything that would tell a reader alice (or Acme) reported something."""
    return [
        "Alice",
        "Archer",
        alice.email,
        "Acme",
        "acme",
        "PO-ACME",
        f'data-author="{alice.pk}"',
        f'data-organization="{alice.party.organization_id}"',
    ]


def _incident_url(incident: Incident) -> str:
    return reverse("incident-detail", args=[incident.pk])


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["buyer-home", "buyer-report"])
def test_anonymous_visitor_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_supplier_staff_cannot_use_the_buyer_pages(client, world, carol):
    client.force_login(carol)
    assert client.get(reverse("buyer-home")).status_code == 403
    assert client.get(reverse("buyer-report")).status_code == 403
    assert client.get(_incident_url(world.incident)).status_code == 403
    assert client.get(reverse("supplier-detail", args=["initech-components"])).status_code == 403


def test_operator_sees_incident_page_with_every_report(client, world, operator):
    client.force_login(operator)
    response = client.get(_incident_url(world.incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert PRIVATE_TEXT in html
    assert "Including 1 private report of buyer organizations" in html


# --- Dashboard -------------------------------------------------------------------------------------


def test_dashboard_lists_my_organization_reports_with_their_incident(client, world, alice):
    client.force_login(alice)
    html = client.get(reverse("buyer-home")).content.decode()
    assert PRIVATE_TEXT in html
    assert ANONYMOUS_TEXT in html
    assert f'href="{_incident_url(world.incident)}"' in html
    assert f"Incident #{world.incident.pk}" in html


def test_dashboard_shows_a_not_sure_report_in_the_category_it_is_shown_in(
    client, world, alice, initech
):
    """A report sent with "Not sure" gets its category from the classifier; the dashboard shows
    that one, as the incident page and the API do (Post.shown_category)."""
    guessed = CategoryFactory(slug="crushed-boxes", name="Crushed boxes")
    _report(
        alice,
        Post.Visibility.ANONYMOUS,
        "Boxes crushed on arrival",
        supplier=initech,
        category=None,
        predicted_category=guessed,
    )
    client.force_login(alice)
    html = client.get(reverse("buyer-home")).content.decode()
    assert '<td class="hide-sm">Crushed boxes</td>' in html


def test_dashboard_never_shows_another_organizations_reports(client, world, bob):
    client.force_login(bob)
    html = client.get(reverse("buyer-home")).content.decode()
    for text in (PRIVATE_TEXT, ANONYMOUS_TEXT, NAMED_TEXT, PRIVATE_ALONE_TEXT):
        assert text not in html
    assert "Your organization has not reported a problem yet" in html


def test_an_organization_s_reports_are_those_of_it_its_members_may_read(world, alice, bob):
    from incidents.selectors.buyer import organization_reports

    for user in (alice, bob):
        viewer = user.viewer
        readable = Post.objects.visible_to(viewer).filter(organization_id=viewer.organization_id)
        assert set(organization_reports(viewer=viewer)) == set(readable)
    # Private ones included: Acme's private reports are Alice's to read.
    assert organization_reports(viewer=alice.viewer).filter(visibility="private").exists()


def test_dashboard_top_suppliers_count_only_incidents_the_viewer_may_see(client, world, alice, bob):
    client.force_login(bob)
    html = client.get(reverse("buyer-home")).content.decode()
    # Bob may count the shared incident but not the one made only of Acme's private report.
    assert re.search(r"Initech Components</a> <span class=\"badge\">1 open</span>", html)
    client.force_login(alice)
    html = client.get(reverse("buyer-home")).content.decode()
    assert re.search(r"Initech Components</a> <span class=\"badge\">2 open</span>", html)


def test_followed_incident_shows_news_until_its_page_is_seen(client, world, bob):
    Follow.objects.create(user=bob, incident=world.incident)
    Follow.objects.filter(user=bob).update(seen_at=timezone.now() - timedelta(days=1))
    IncidentEventFactory(incident=world.incident, kind=IncidentEvent.Kind.STATUS_CHANGED)
    ResponseFactory(incident=world.incident)
    client.force_login(bob)
    html = client.get(reverse("buyer-home")).content.decode()
    assert "2 new" in html
    assert "1 new answer from the supplier" in html

    client.get(_incident_url(world.incident))
    html = client.get(reverse("buyer-home")).content.decode()
    assert "nothing new since you last looked" in html
    assert "2 new" not in html


def test_followed_news_ignore_private_answers_to_other_organizations(client, world, acme, bob):
    Follow.objects.create(user=bob, incident=world.incident)
    Follow.objects.filter(user=bob).update(seen_at=timezone.now() - timedelta(days=1))
    ResponseFactory(incident=world.incident, private=True, organization=acme)
    client.force_login(bob)
    html = client.get(reverse("buyer-home")).content.decode()
    assert "nothing new since you last looked" in html


# --- Incident page: who sees what ------------------------------------------------------------------


def test_other_buyer_never_sees_a_private_report(client, world, bob):
    client.force_login(bob)
    response = client.get(_incident_url(world.incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert PRIVATE_TEXT not in html
    assert "private report" not in html
    assert ANONYMOUS_TEXT in html
    assert NAMED_TEXT in html
    assert PUBLIC_TEXT in html


def test_other_buyer_sees_no_reporter_identity_anywhere_in_the_html(client, world, alice, bob):
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    for needle in _identity_of(alice):
        assert needle not in html, f"{needle!r} leaked into the incident page"
    assert "identity not shown" in html


def test_own_organization_sees_its_reporters(client, world, alice):
    client.force_login(alice)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert PRIVATE_TEXT in html
    assert "Alice Archer, Acme" in html
    assert "PO-ACME-2" in html


def test_own_private_reports_are_added_to_the_count_and_said_so(client, world, alice, bob):
    assert world.incident.post_count == 3  # two shared reports and the public post
    client.force_login(alice)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert re.search(r"<dt>Reports and posts</dt><dd>4</dd>", html)
    assert "Including 1 private report of your organization" in html
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert re.search(r"<dt>Reports and posts</dt><dd>3</dd>", html)
    assert "Including" not in html


def test_incident_made_only_of_another_organizations_private_reports_is_404(client, world, bob):
    client.force_login(bob)
    invisible = client.get(_incident_url(world.private_only_incident))
    missing = client.get(reverse("incident-detail", args=[world.incident.pk + 1000]))
    assert invisible.status_code == missing.status_code == 404
    assert PRIVATE_ALONE_TEXT not in invisible.content.decode()


def test_private_answer_to_another_organization_is_hidden_with_its_event(
    client, world, acme, globex, bob, carol
):
    services.incident_respond(
        incident=world.incident, author=carol, body="Credit notes for every buyer"
    )
    private = ResponseFactory(
        incident=world.incident, private=True, organization=acme, body="Only for Acme: 5% credit"
    )
    IncidentEvent.objects.create(
        incident=world.incident,
        kind=IncidentEvent.Kind.RESPONSE,
        data={"response_id": private.pk, "visibility": "organization"},
    )
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert "Credit notes for every buyer" in html
    assert "Only for Acme" not in html
    assert "answered your organization privately" not in html
    assert "answered publicly" in html


def test_public_posts_link_out_safely_and_only_over_http(client, world, bob):
    PostMatchFactory(
        post=PublicPostFactory(text="Sneaky link", url="javascript:alert(1)"),
        supplier=world.incident.supplier,
        incident=world.incident,
    )
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert "@angry_engineer" in html
    assert f'href="{world.public_post.url}" rel="noopener nofollow ugc"' in html
    assert "javascript:alert" not in html


def test_user_text_is_escaped_never_rendered_as_markup(client, world, alice, bob):
    _report_in(world.incident, alice, "<img src=x onerror=alert(1)>")
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_timeline_is_written_in_plain_words(client, world, bob, carol):
    services.incident_acknowledge(incident=world.incident, actor=carol)
    services.incident_resolve(incident=world.incident, actor=carol, note="New tooling from lot L9")
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert "Status changed from New to Acknowledged." in html
    assert "Status changed from Acknowledged to Resolved. Note: New tooling from lot L9" in html
    assert "Carol" not in html  # supplier staff act as "the supplier"


def test_chart_has_a_text_alternative(client, world, bob):
    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert 'role="img"' in html
    assert "3 reports and posts from" in html
    assert "<summary>Show the numbers</summary>" in html


def _report_in(incident: Incident, author, text: str, **extra) -> Post:
    post = _report(author, Post.Visibility.ANONYMOUS, text, supplier=incident.supplier, **extra)
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    return post


# --- Follow / unfollow ----------------------------------------------------------------------------


def test_follow_and_unfollow_without_javascript(client, world, bob):
    client.force_login(bob)
    url = reverse("incident-follow", args=[world.incident.pk])
    response = client.post(url, {"action": "follow"})
    assert response.status_code == 302
    assert response["Location"] == _incident_url(world.incident)
    assert Follow.objects.filter(user=bob, incident=world.incident).exists()
    client.post(url, {"action": "follow"})
    assert Follow.objects.filter(user=bob).count() == 1
    client.post(url, {"action": "unfollow"})
    assert not Follow.objects.filter(user=bob).exists()


def test_follow_with_htmx_returns_the_button(client, world, bob):
    client.force_login(bob)
    url = reverse("incident-follow", args=[world.incident.pk])
    response = client.post(url, {"action": "follow"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Following" in html and 'value="unfollow"' in html
    assert "<html" not in html


def test_cannot_follow_an_incident_one_may_not_see(client, world, bob):
    client.force_login(bob)
    response = client.post(reverse("incident-follow", args=[world.private_only_incident.pk]))
    assert response.status_code == 404
    assert not Follow.objects.exists()
    with pytest.raises(ApplicationError):
        services.incident_follow(user=bob, incident=world.private_only_incident)


def test_follow_needs_a_post(client, world, bob):
    client.force_login(bob)
    assert client.get(reverse("incident-follow", args=[world.incident.pk])).status_code == 405


# --- The report form -------------------------------------------------------------------------------


def _form_data(supplier: Supplier | None = None, **overrides) -> dict:
    data = {
        "token": str(uuid.uuid4()),
        "supplier": supplier.pk if supplier else "",
        "supplier_query": supplier.name if supplier else "",
        "po_number": "PO-4711",
        "sku": "HX-200",
        "lot": "L42",
        "quantity_affected": "40",
        "category": "",
        "severity": str(Severity.HIGH),
        "visibility": Post.Visibility.ANONYMOUS,
        "text": "Forty housings cracked on arrival",
    }
    data.update(overrides)
    return data


def test_report_form_has_labelled_fields_and_anonymous_by_default(client, alice):
    client.force_login(alice)
    html = client.get(reverse("buyer-report")).content.decode()
    for field in ("supplier_query", "po_number", "sku", "lot", "quantity_affected", "category"):
        assert f'for="id_{field}"' in html, field
    assert re.search(r'<input[^>]*value="anonymous"[^>]*checked', html)
    assert "Private: only your organization sees this report" in html
    assert f'hx-get="{reverse("buyer-supplier-choices")}"' in html


@pytest.mark.django_db(transaction=True)
def test_report_joins_an_incident_and_lands_on_it(client, alice, initech):
    """Real commits: without a broker the pipeline runs at commit, before the redirect is chosen."""
    client.force_login(alice)
    response = client.post(reverse("buyer-report"), _form_data(initech))
    post = Post.objects.get()
    assert post.author == alice and post.supplier == initech
    assert post.visibility == Post.Visibility.ANONYMOUS
    assert post.severity == Severity.HIGH and post.quantity_affected == 40
    incident = Incident.objects.get(matches__post=post)
    assert response.status_code == 302
    assert response["Location"] == _incident_url(incident)
    page = client.get(response["Location"]).content.decode()
    assert "Forty housings cracked on arrival" in page
    assert "joined this incident" in page


def test_report_not_yet_grouped_goes_to_the_dashboard_with_a_message(client, alice, initech):
    client.force_login(alice)
    # No on_commit callbacks run here: the pipeline has not processed the post yet.
    response = client.post(reverse("buyer-report"), _form_data(initech), follow=True)
    assert response.redirect_chain[-1][0] == reverse("buyer-home")
    assert "joins an incident with similar reports in a moment" in response.content.decode()


def test_the_same_form_sent_twice_is_one_report(client, alice, initech):
    client.force_login(alice)
    data = _form_data(initech)
    client.post(reverse("buyer-report"), data)
    client.post(reverse("buyer-report"), data)
    assert Post.objects.count() == 1


def test_supplier_is_found_from_my_vendor_code_without_javascript(client, alice, acme, initech):
    VendorCodeFactory(organization=acme, supplier=initech, code="V-777")
    client.force_login(alice)
    data = _form_data(None, supplier_query="v-777")
    response = client.post(reverse("buyer-report"), data)
    assert response.status_code == 302
    assert Post.objects.get().supplier == initech


def test_another_organizations_vendor_code_finds_nothing(client, alice, globex, initech):
    VendorCodeFactory(organization=globex, supplier=initech, code="G-123")
    client.force_login(alice)
    response = client.post(reverse("buyer-report"), _form_data(None, supplier_query="G-123"))
    assert response.status_code == 400
    assert "No supplier matches" in response.content.decode()
    assert not Post.objects.exists()


def test_ambiguous_supplier_names_the_candidates(client, alice):
    SupplierFactory(name="Delta Castings", slug="delta-castings")
    SupplierFactory(name="Delta Fasteners", slug="delta-fasteners")
    client.force_login(alice)
    response = client.post(reverse("buyer-report"), _form_data(None, supplier_query="Delta"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Several suppliers match" in html
    assert "Delta Castings" in html and "Delta Fasteners" in html


def test_errors_name_the_field_and_keep_what_was_typed(client, alice):
    client.force_login(alice)
    data = _form_data(None, supplier_query="", text="", po_number="PO-KEEP-ME", lot="LOT-KEEP")
    response = client.post(reverse("buyer-report"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_supplier_query">Supplier</a>: This field is required.' in html
    assert '<a href="#id_text">Describe the problem</a>: This field is required.' in html
    assert 'value="PO-KEEP-ME"' in html and 'value="LOT-KEEP"' in html
    assert re.search(r'<option value="3" selected>High</option>', html)
    assert data["token"] in html
    assert not Post.objects.exists()


def test_service_refusal_is_shown_on_the_field_it_names(client, alice, initech, monkeypatch):
    def refuse(**kwargs):
        raise ApplicationError("Choose private, anonymous or named.", field="visibility")

    monkeypatch.setattr(services, "post_report_with_attachments", refuse)
    client.force_login(alice)
    response = client.post(reverse("buyer-report"), _form_data(initech))
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_visibility_0">Who may see this report</a>: Choose private' in html


def test_supplier_search_finds_by_name_alias_and_my_vendor_code(
    client, alice, acme, globex, initech, umbrella
):
    SupplierAliasFactory(supplier=umbrella, text="BrollyBox")
    VendorCodeFactory(organization=acme, supplier=initech, code="ACME-9")
    VendorCodeFactory(organization=globex, supplier=umbrella, code="GLX-1")
    client.force_login(alice)
    url = reverse("buyer-supplier-choices")

    def names(query: str) -> set[str]:
        html = client.get(url, {"supplier_query": query}).content.decode()
        return set(re.findall(r'data-supplier-name="([^"]+)"', html))

    assert names("initech") == {"Initech Components"}
    assert names("brolly") == {"Umbrella Packaging"}
    assert names("ACME-9") == {"Initech Components"}
    assert names("GLX-1") == set()
    assert names("") == set()
    html = client.get(url, {"supplier_query": "ACME-9"}).content.decode()
    assert "your vendor code ACME-9" in html


def test_report_link_from_a_supplier_page_comes_with_the_supplier_chosen(client, alice, initech):
    client.force_login(alice)
    html = client.get(reverse("buyer-report"), {"supplier": initech.slug}).content.decode()
    assert f'name="supplier" value="{initech.pk}"' in html
    assert 'value="Initech Components"' in html


# --- Attachments ------------------------------------------------------------------------------------


def test_photos_and_documents_are_stored_with_the_report(client, alice, initech):
    client.force_login(alice)
    files = [
        SimpleUploadedFile("crack.png", png(), content_type="image/png"),
        SimpleUploadedFile("acme-ncr-4711.pdf", PDF, content_type="application/pdf"),
    ]
    response = client.post(reverse("buyer-report"), {**_form_data(initech), "files": files})
    assert response.status_code == 302
    stored = list(Attachment.objects.order_by("id"))
    assert [(a.original_name, a.content_type) for a in stored] == [
        ("crack.png", "image/png"),
        ("acme-ncr-4711.pdf", "application/pdf"),
    ]
    # Stored under a random name with the extension of the detected type.
    assert stored[1].file.name.endswith(".pdf") and "acme" not in stored[1].file.name


def test_a_file_is_checked_by_its_content_not_its_name(client, alice, initech):
    client.force_login(alice)
    disguised = SimpleUploadedFile(
        "photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    data = {**_form_data(initech, po_number="PO-KEEP"), "files": [disguised]}
    response = client.post(reverse("buyer-report"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        '<a href="#id_files">Photos and documents</a>: photo.png is not a file type we accept'
        in html
    )
    assert 'value="PO-KEEP"' in html
    assert "choose your photos and documents again" in html
    assert not Post.objects.exists() and not Attachment.objects.exists()


def test_files_too_large_or_too_many_are_refused(client, alice, initech, monkeypatch):
    client.force_login(alice)
    monkeypatch.setattr(attachments_service, "MAX_FILE_BYTES", 100)
    big = SimpleUploadedFile("big.pdf", PDF + b"x" * 200, content_type="application/pdf")
    response = client.post(reverse("buyer-report"), {**_form_data(initech), "files": [big]})
    assert response.status_code == 400
    assert "big.pdf is larger than" in response.content.decode()

    monkeypatch.setattr(attachments_service, "MAX_FILE_BYTES", 10 * 1024 * 1024)
    many = [SimpleUploadedFile(f"p{i}.png", png(), content_type="image/png") for i in range(6)]
    response = client.post(reverse("buyer-report"), {**_form_data(initech), "files": many})
    assert response.status_code == 400
    assert "Attach at most 5 files." in response.content.decode()
    assert not Post.objects.exists() and not Attachment.objects.exists()


@pytest.fixture
def attachments(world) -> dict[str, Attachment]:
    def attach(post: Post, name: str, content: bytes) -> Attachment:
        return services.attachments_add(
            post=post, files=[SimpleUploadedFile(name, content, content_type="x/unknown")]
        )[0]

    return {
        "private_photo": attach(world.private_report, "acme-private.png", png()),
        "anonymous_pdf": attach(world.anonymous_report, "acme-ncr-4711.pdf", PDF),
    }


def test_attachment_of_a_private_report_is_served_only_to_its_organization(
    client, attachments, alice, bob, carol, dave
):
    url = reverse("attachment-download", args=[attachments["private_photo"].key])
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    served = b"".join(response.streaming_content)
    assert served == attachments["private_photo"].file.open("rb").read()
    assert Image.open(io.BytesIO(served)).getpixel((0, 0)) == (255, 0, 0)
    for outsider in (bob, carol, dave):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    missing = reverse("attachment-download", args=[uuid.uuid4()])
    client.force_login(alice)
    assert client.get(missing).status_code == 404


def test_documents_are_downloaded_and_their_name_hidden_from_outsiders(
    client, world, attachments, alice, bob, carol, dave
):
    url = reverse("attachment-download", args=[attachments["anonymous_pdf"].key])
    client.force_login(carol)
    response = client.get(url)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "acme" not in disposition.lower()
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(alice)
    assert "acme-ncr-4711.pdf" in client.get(url)["Content-Disposition"]
    client.force_login(dave)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302

    client.force_login(bob)
    html = client.get(_incident_url(world.incident)).content.decode()
    assert f'href="{url}"' in html
    assert "Document 1" in html
    assert "acme-ncr" not in html
    assert reverse("attachment-download", args=[attachments["private_photo"].key]) not in html


# --- Supplier page ----------------------------------------------------------------------------------


def test_supplier_page_shows_open_incidents_categories_trend_and_aliases(
    client, world, initech, bob
):
    SupplierAliasFactory(supplier=initech, kind="handle", text="@InitechParts")
    client.force_login(bob)
    response = client.get(reverse("supplier-detail", args=[initech.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.incident.title in html
    assert world.private_only_incident.title not in html
    assert "@InitechParts" in html
    assert defect_category().name in html
    assert "Complaints per week, last 90 days" in html
    # Bob counts the shared report, the named one and the public post; never the private ones.
    assert "3 complaints from week of" in html


def test_supplier_page_of_unknown_slug_is_404(client, bob):
    client.force_login(bob)
    assert client.get(reverse("supplier-detail", args=["nobody"])).status_code == 404


# --- A fixed number of queries, whatever the number of rows ----------------------------------------


def _grow(world: World, alice, bob, rows: int) -> None:
    """`rows` more of everything a buyer page lists."""
    supplier = world.incident.supplier
    for n in range(rows):
        post = _report_in(world.incident, alice, f"More cracked housings {n}")
        services.attachments_add(
            post=post, files=[SimpleUploadedFile(f"p{n}.png", png(), content_type="image/png")]
        )
        PostMatchFactory(
            post=PublicPostFactory(text=f"public {n}"), supplier=supplier, incident=world.incident
        )
        other = IncidentFactory(supplier=SupplierFactory(), title=f"Other incident {n}")
        _report_in(other, alice, f"Other problem {n}")
        _report_in(other, bob, f"Bob's own report {n}", po_number=f"PO-GLX-{n}")
        Follow.objects.create(user=bob, incident=other)
        IncidentEventFactory(incident=world.incident, kind=IncidentEvent.Kind.POST_ADDED)
        ResponseFactory(incident=world.incident)
        SupplierAliasFactory(supplier=supplier, text=f"initech alias {uuid.uuid4().hex[:8]}")
    Follow.objects.get_or_create(user=bob, incident=world.incident)


def _queries(client, url: str, **params) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


# Every full page counts the unread notifications once, for the inbox bell in its header, and
# reads the saved views once, for the menu beside it, and the 8D disciplines of each list of
# incidents it shows in one query, and the organization's own reports in them in one more.
PAGES = [
    # With its trend of complaints: their span and their days, one query each.
    ("dashboard", lambda w: reverse("buyer-home"), {}, 17),
    # The incident page also reads the evidence's disputes and those the buyer decides.
    ("incident", lambda w: _incident_url(w.incident), {}, 21),
    # 19: with its trend, SLA promise, scorecards and its incidents' 8D (one query each).
    ("supplier", lambda w: reverse("supplier-detail", args=[w.incident.supplier.slug]), {}, 19),
    ("report form", lambda w: reverse("buyer-report"), {}, 9),
    (
        "supplier search",
        lambda w: reverse("buyer-supplier-choices"),
        {"supplier_query": "initech"},
        8,
    ),
    # The buyers' filters but the search (tests/incidents/test_search.py counts a search's
    # page): the header's, the count, the page and its incidents' 8D.
    (
        "incident list",
        lambda w: reverse("incidents"),
        {"status": "open", "reported_by_us": "on", "my_suppliers": "on", "sort": "severity"},
        8,
    ),
    # Ranked by score: the header's, the count, the page, its aliases and vendor codes.
    ("directory", lambda w: reverse("supplier-directory"), {"sort": "worst"}, 10),
]


@pytest.mark.parametrize("rows", [1, 25])
@pytest.mark.parametrize(("page", "url", "params", "bound"), PAGES, ids=[page[0] for page in PAGES])
def test_buyer_pages_cost_a_fixed_number_of_queries(
    client, world, alice, bob, rows, page, url, params, bound, django_assert_max_num_queries
):
    _grow(world, alice, bob, rows)
    client.force_login(bob)
    client.get(url(world), params)  # the first visit marks follows seen; measure the second
    with django_assert_max_num_queries(bound):
        response = client.get(url(world), params)
    assert response.status_code == 200


@pytest.mark.parametrize(("page", "url", "params", "bound"), PAGES, ids=[p[0] for p in PAGES])
def test_query_count_does_not_grow_with_rows(client, world, alice, bob, page, url, params, bound):
    client.force_login(bob)
    _grow(world, alice, bob, 1)
    client.get(url(world), params)
    few = _queries(client, url(world), **params)
    _grow(world, alice, bob, 12)
    many = _queries(client, url(world), **params)
    assert few == many, f"{page}: {few} queries with few rows, {many} with many"


def test_buyer_membership_factory_org_reports_stay_in_org(client, world, acme, initech):
    """A colleague of alice sees alice's private report on the dashboard: it is the organization's."""
    colleague = BuyerMembershipFactory(organization=acme).user
    client.force_login(colleague)
    assert PRIVATE_TEXT in client.get(reverse("buyer-home")).content.decode()
