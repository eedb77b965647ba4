"""The inbox in a real browser, under the content security policy: a responder sees the bell's
count, opens the notification of a new incident and lands on the portal's incident page, then
chooses a daily digest; the e-mail's unsubscribe link asks before it acts."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from incidents import services
from notifications.models import Kind, NotificationPreference
from notifications.unsubscribe import unsubscribe_path
from tests.factories import CategoryFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_responder_is_told_of_a_new_incident_and_chooses_a_digest(
    new_page, screenshot, alice, carol, initech
):
    CategoryFactory(slug="defect", name="Defect / nonconformance", keywords=["cracked"])
    # Committed for real (a transactional test): the pipeline and the notifications run after it.
    services.post_report(
        author=alice,
        supplier=initech,
        text="Lot L-9 arrived with cracked housings",
        lot="L-9",
        po_number="PO-1",
    )
    assert [m.to for m in mail.outbox] == [["carol@initech.test"]]

    page = new_page()
    login(page, "carol@initech.test")
    page.goto("/portal/")
    bell = page.get_by_role("link", name=re.compile(r"Inbox 1 unread"))
    bell.click()
    page.wait_for_url(re.compile(r"/inbox/$"))
    screenshot(page, "inbox")
    page.get_by_role("link", name=re.compile(r"New incident: #")).click()
    page.wait_for_url(re.compile(r"/portal/incidents/\d+/$"))
    assert page.get_by_role("link", name=re.compile(r"Inbox 1 unread")).count() == 0

    page.goto("/inbox/settings/")
    page.get_by_role("group", name=Kind.NEW_INCIDENT.label).get_by_label(
        "In a daily digest"
    ).check()
    page.get_by_label("Daily digest at").select_option("17")
    page.get_by_label("in the time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your notification settings are saved.").wait_for()
    screenshot(page, "settings")
    assert (
        NotificationPreference.objects.get(user=carol, kind=Kind.NEW_INCIDENT).delivery == "digest"
    )

    signed_out = new_page()
    signed_out.goto(unsubscribe_path(user_id=carol.pk, kind=Kind.SPIKE))
    signed_out.get_by_role("button", name="Unsubscribe").click()
    signed_out.get_by_role("heading", name="Unsubscribed").wait_for()
    assert NotificationPreference.objects.get(user=carol, kind=Kind.SPIKE).delivery == "never"
