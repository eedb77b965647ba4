"""What a viewer sees of an incident is decided once: every page, the API, the webhooks and the CSV
export show the same evidence, the same safe links and the same attachment names.

The world: Acme (alice) reported an Initech problem anonymously with a photo and a document
attached, and a public post with a link that does not parse joined the same incident.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident, Post
from incidents.services.processing import incidents_recount
from integrations.services import api_key_issue
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
)
from tests.helpers import PDF, png

pytestmark = pytest.mark.django_db

BROKEN_URL = "http://[abc"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def incident(initech, acme, alice) -> Incident:
    incident = IncidentFactory(supplier=initech, title="Cracked housings")
    report = BuyerPostFactory(
        organization=acme,
        author=alice,
        supplier=initech,
        visibility=Post.Visibility.ANONYMOUS,
        text="Housings cracked in lot L7",
    )
    services.attachments_add(
        post=report,
        files=[
            SimpleUploadedFile("acme-crack.png", png(), content_type="image/png"),
            SimpleUploadedFile("acme-ncr-4711.pdf", PDF, content_type="application/pdf"),
        ],
    )
    broken = PublicPostFactory(text="Initech housings crack", url=BROKEN_URL)
    for post in (report, broken):
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


def _html(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_link_that_does_not_parse_is_dropped_on_every_page(client, incident, bob, carol):
    buyer_page = _html(client, bob, reverse("incident-detail", args=[incident.pk]))
    portal_page = _html(client, carol, reverse("portal-incident", args=[incident.pk]))
    for html in (buyer_page, portal_page):
        assert "Initech housings crack" in html
        assert BROKEN_URL not in html
    key = api_key_issue(name="ERP", organization=bob.membership.organization).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    evidence = api.get(f"/api/v1/incidents/{incident.pk}/posts/").json()["results"]
    (public,) = [row for row in evidence if row["text"] == "Initech housings crack"]
    assert public["url"] == ""


def test_an_anonymous_attachment_has_one_name_on_every_page_and_on_download(
    client, incident, bob, carol
):
    buyer_page = _html(client, bob, reverse("incident-detail", args=[incident.pk]))
    portal_page = _html(client, carol, reverse("portal-incident", args=[incident.pk]))
    for html in (buyer_page, portal_page):
        assert ">Photo 1</a>" in html
        assert ">Document 2</a>" in html
        assert "acme-" not in html
    names = {}
    for user in (bob, carol):
        client.force_login(user)
        for attachment in Post.objects.get(source="buyer").attachments.order_by("pk"):
            response = client.get(reverse("attachment-download", args=[attachment.key]))
            names.setdefault(user.email, []).append(response["Content-Disposition"])
    for dispositions in names.values():
        assert 'filename="photo-1.png"' in dispositions[0]
        assert 'filename="document-2.pdf"' in dispositions[1]
