"""Buyer and supplier in one story, in a real browser: a buyer reports a problem, the pipeline groups
it, the supplier's staff answer publicly and resolve it in the portal, and the buyer sees the answer
and the new status. Staff of another supplier get 404 for the incident's address. The story runs
twice: with reports processed in the web process, and by a real Celery worker through Redis."""

from __future__ import annotations

import re

import pytest

from incidents.models import Incident, Post
from tests.factories import SupplierAliasFactory, defect_category
from tests.workers import wait_until

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REPORT = "Incoming inspection rejected 120 brackets of lot L-77: holes drilled off-centre."
ANSWER = "We have quarantined lot L-77 and ship replacements from lot L-78 on Monday."


@pytest.fixture(
    params=[
        "in-process",
        pytest.param("worker", marks=[pytest.mark.worker, pytest.mark.postgres]),
    ]
)
def pipeline(request):
    """How reports are processed: in the web process (no broker), or by a real worker."""
    if request.param == "worker":
        request.getfixturevalue("start_worker")()
    return request.param


def test_report_answer_resolve_and_the_buyer_sees_it(
    pipeline, new_page, alice, bob, carol, dave, initech, screenshot
):
    defect_category()
    SupplierAliasFactory(supplier=initech, text="Initech")

    buyer = new_page()
    login(buyer, "alice@acme.test")
    buyer.goto("/buyer/report/")
    buyer.get_by_role("searchbox", name="Supplier").press_sequentially("Initech", delay=30)
    buyer.get_by_role("button", name=re.compile("Initech Components")).click()
    buyer.get_by_label("Lot / batch").fill("L-77")
    buyer.get_by_label("Category").select_option(label="Defect / nonconformance")
    buyer.get_by_label("Describe the problem").fill(REPORT)
    buyer.get_by_role("button", name="Send report").click()
    if pipeline == "worker":
        # The report is saved at once; the worker groups it a moment later.
        buyer.wait_for_url(re.compile(r"/buyer/$"))
        wait_until(
            lambda: Post.objects.filter(author=alice, status=Post.Status.PROCESSED).exists(),
            60,
            "the worker to group the report",
        )
    else:
        buyer.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get(matches__post__author=alice)
    assert Post.objects.get(author=alice).status == Post.Status.PROCESSED
    buyer.goto(f"/incidents/{incident.pk}/")
    # A reporter follows the incident of their report from the start.
    buyer.get_by_role("button", name=re.compile("Following")).wait_for()

    staff = new_page()
    login(staff, "carol@initech.test")
    staff.goto(f"/portal/incidents/{incident.pk}/")
    assert staff.get_by_text(REPORT).is_visible()
    assert "Alice" not in staff.content() and "Acme" not in staff.content()
    staff.get_by_label(re.compile(r"^Answer:?$")).fill(ANSWER)
    staff.get_by_role("button", name="Send answer").click()
    staff.get_by_text(ANSWER).wait_for()
    staff.get_by_role("button", name="Resolve", exact=True).click()
    staff.get_by_text("Incident resolved.").wait_for()
    screenshot(staff, "portal-after-resolve")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED

    outsider = new_page()
    login(outsider, "dave@umbrella.test")
    assert outsider.goto(f"/portal/incidents/{incident.pk}/").status == 404

    buyer.goto("/buyer/")
    assert buyer.get_by_text("1 new answer from the supplier").is_visible()
    buyer.goto(f"/incidents/{incident.pk}/")
    assert buyer.get_by_text(ANSWER).is_visible()
    assert buyer.locator(".b-meta .badge", has_text="Resolved").is_visible()
    assert buyer.get_by_text("Status changed from Acknowledged to Resolved.").is_visible()
    screenshot(buyer, "buyer-sees-answer")

    other_buyer = new_page()
    login(other_buyer, "bob@globex.test")
    other_buyer.goto(f"/incidents/{incident.pk}/")
    assert other_buyer.get_by_text(ANSWER).is_visible()
    assert other_buyer.get_by_text(REPORT).is_visible()
    assert "Alice" not in other_buyer.content() and "Acme" not in other_buyer.content()
    assert buyer.dialogs == staff.dialogs == other_buyer.dialogs == []
