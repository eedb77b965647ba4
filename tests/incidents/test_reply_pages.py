"""The buyer answers back on the incident page: a reply form and, on a resolved incident, accept
and reject buttons leading to a confirmation form; the portal shows the replies without an
anonymous reporter's identity."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Post, Reply
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(initech, acme, alice) -> Incident:
    """Acme reported it anonymously; Initech resolved it."""
    incident = IncidentFactory(
        supplier=initech, post_count=1, status=Incident.Status.RESOLVED, resolved_at=timezone.now()
    )
    post = BuyerPostFactory(
        organization=acme, author=alice, supplier=initech, visibility=Post.Visibility.ANONYMOUS
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    return incident


def answer_back(incident: Incident, action: str) -> str:
    return reverse("incident-answer-back", args=[incident.pk, action])


def test_the_reporter_sees_the_reply_form_and_the_resolution_buttons(client, alice, incident):
    client.force_login(alice)
    page = client.get(reverse("incident-detail", args=[incident.pk])).content.decode()
    assert answer_back(incident, "reply") in page
    assert answer_back(incident, "accept") in page and answer_back(incident, "reject") in page


def test_another_buyer_sees_no_way_to_answer_back(client, bob, incident):
    client.force_login(bob)
    page = client.get(reverse("incident-detail", args=[incident.pk])).content.decode()
    assert (
        answer_back(incident, "reply") not in page and answer_back(incident, "reject") not in page
    )


def test_the_reporter_replies_and_the_supplier_reads_it_without_who(client, alice, carol, incident):
    client.force_login(alice)
    response = client.post(answer_back(incident, "reply"), {"body": "Still cracked."})
    assert response.status_code == 302
    assert Reply.objects.get().body == "Still cracked."
    client.force_login(carol)
    page = client.get(reverse("portal-incident", args=[incident.pk])).content.decode()
    assert "Still cracked." in page
    assert "Acme" not in page and "Alice" not in page and "alice@" not in page


def test_rejecting_asks_for_confirmation_and_a_reason_then_reopens(client, alice, incident):
    client.force_login(alice)
    form = client.get(answer_back(incident, "reject"))
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    refused = client.post(answer_back(incident, "reject"), {"reason": ""})
    assert refused.status_code == 400
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED
    done = client.post(answer_back(incident, "reject"), {"reason": "Same crack."})
    assert done.status_code == 302
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.REOPENED


def test_accepting_is_confirmed_on_its_own_page(client, alice, incident):
    client.force_login(alice)
    assert client.get(answer_back(incident, "accept")).status_code == 200
    assert client.post(answer_back(incident, "accept")).status_code == 302
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED


def test_another_buyer_is_refused_with_the_reason(client, bob, incident):
    client.force_login(bob)
    response = client.post(answer_back(incident, "reject"), {"reason": "Not mine."})
    assert response.status_code == 400 and "reported this incident" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED


def test_supplier_staff_cannot_use_the_buyers_actions(client, carol, incident):
    client.force_login(carol)
    response = client.post(answer_back(incident, "reject"), {"reason": "x"})
    assert response.status_code in (302, 403, 404)
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.RESOLVED


def test_an_unknown_action_is_a_404(client, alice, incident):
    client.force_login(alice)
    assert client.get(answer_back(incident, "close")).status_code == 404
