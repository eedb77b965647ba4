"""The response loop in a real browser, with nobody nudging it: a supplier admin's assignment rule
names a responder; a buyer reports a problem; the rule assigns it and the responder is told (the
header's unread count, the inbox, an e-mail); the responder answers publicly and resolves; the
buyer is told of both in their inbox, rejects the resolution with a reason, and the incident
reopens with the responder told. Every step is checked on the pages these people use.

The loop runs twice: with the pipeline and the notifications in the web process (e-mail in the
test outbox), and by a real Celery worker through Redis (e-mail in the worker's console output, the
default backend, as under `make run`)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from incidents.models import Incident, Post
from notifications.models import Kind, Notification
from suppliers.models import Membership
from tests.factories import SupplierAliasFactory, SupplierMembershipFactory, defect_category
from tests.workers import wait_until

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REPORT = "Lot L-31 arrived with 80 cracked pump housings; our assembly line stopped."
ANSWER = "We have quarantined lot L-31 and ship replacements from lot L-32 tomorrow."
REASON = "The replacements from lot L-32 crack at the same place."
RITA = "rita@initech.test"


@pytest.fixture(
    params=[
        "in-process",
        pytest.param("worker", marks=[pytest.mark.worker, pytest.mark.postgres]),
    ]
)
def pipeline(request):
    """Where reports and notifications are processed: the web process, or a real worker."""
    if request.param == "worker":
        return request.getfixturevalue("start_worker")()
    return None


def told(worker, user, kind: str) -> Notification:
    """The one notification of `kind` to `user`, once a worker (if any) has made it."""
    found = Notification.objects.filter(recipient=user, kind=kind)
    if worker is not None:
        wait_until(found.exists, 60, f"a {kind} notification to {user.email}", worker)
    return found.get()


def test_a_report_is_routed_answered_resolved_rejected_and_reopened(
    pipeline, new_page, screenshot, alice, carol, ivy, initech
):
    worker = pipeline
    defect_category()
    SupplierAliasFactory(supplier=initech, text="Initech")
    # Carol is a responder too: the rule, not chance, decides that Rita gets the incident.
    rita = SupplierMembershipFactory(
        supplier=initech,
        role=Membership.Role.RESPONDER,
        user__email=RITA,
        user__first_name="Rita",
        user__last_name="Reyes",
    ).user

    # 1. Initech's admin routes high-severity defects to Rita, on the portal's rules page.
    admin = new_page()
    login(admin, "ivy@initech.test")
    admin.goto("/portal/")
    admin.get_by_role("link", name="Assignment rules").click()
    admin.get_by_label("Name").fill("High defects to Rita")
    admin.get_by_label("Category").select_option(label="Defect / nonconformance")
    admin.get_by_label("Severity", exact=True).select_option(label="at least")
    admin.get_by_label("Severity level").select_option(label="High")
    admin.get_by_label("Rita Reyes").check()
    admin.get_by_role("button", name="Add rule").click()
    admin.get_by_text("Rule \u201cHigh defects to Rita\u201d added.").wait_for()
    screenshot(admin, "1-rule")

    # 2. A buyer reports a high-severity defect through the report form (anonymously, the default).
    buyer = new_page()
    login(buyer, "alice@acme.test")
    buyer.goto("/buyer/report/")
    buyer.get_by_role("searchbox", name="Supplier").press_sequentially("Initech", delay=30)
    buyer.get_by_role("button", name=re.compile("Initech Components")).click()
    buyer.get_by_label("Lot / batch").fill("L-31")
    buyer.get_by_label("Category").select_option(label="Defect / nonconformance")
    buyer.get_by_label("Severity").select_option(label="High")
    buyer.get_by_label("Describe the problem").fill(REPORT)
    screenshot(buyer, "2-report")
    buyer.get_by_role("button", name="Send report").click()
    if worker is not None:
        buyer.wait_for_url(re.compile(r"/buyer/$"))
        wait_until(
            lambda: Post.objects.filter(author=alice, status=Post.Status.PROCESSED).exists(),
            60,
            "the worker to group the report",
            worker,
        )
    else:
        buyer.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get(matches__post__author=alice)
    assert incident.assignee == rita

    # 3. Rita is told: the bell's count, the inbox entry, and an e-mail.
    assigned = told(worker, rita, Kind.NEW_INCIDENT)
    assert assigned.title.startswith(f"New incident, assigned to you: #{incident.pk} ")
    if worker is None:
        to_rita = [message for message in mail.outbox if message.to == [RITA]]
        assert [message.subject for message in to_rita] == [assigned.title]
        assert "Alice" not in to_rita[0].body and "Acme" not in to_rita[0].body
    else:
        wait_until(lambda: f"To: {RITA}" in worker.output(), 60, "the e-mail to Rita", worker)
    responder = new_page()
    login(responder, RITA)
    responder.goto("/portal/")
    responder.get_by_role("link", name=re.compile(r"Inbox 1 unread")).click()
    responder.wait_for_url(re.compile(r"/inbox/$"))
    screenshot(responder, "3-responder-inbox")
    responder.get_by_role("link", name=assigned.title).click()
    responder.wait_for_url(re.compile(rf"/portal/incidents/{incident.pk}/$"))
    assert responder.get_by_text(REPORT).is_visible()
    assert "Alice" not in responder.content() and "Acme" not in responder.content()

    # 4. Rita answers publicly and resolves, from the portal's incident page.
    responder.get_by_label(re.compile(r"^Answer:?$")).fill(ANSWER)
    responder.get_by_role("button", name="Send answer").click()
    responder.get_by_text(ANSWER).wait_for()
    responder.get_by_role("button", name="Resolve", exact=True).click()
    responder.get_by_text("Incident resolved.").wait_for()
    screenshot(responder, "4-answered-and-resolved")

    # 5. The buyer is told of the answer and of the resolution, in their inbox.
    answered = told(worker, alice, Kind.ANSWER)
    resolved = told(worker, alice, Kind.STATUS)
    buyer.goto("/buyer/")
    buyer.get_by_role("link", name=re.compile(r"Inbox 2 unread")).click()
    buyer.wait_for_url(re.compile(r"/inbox/$"))
    assert buyer.get_by_role("link", name=answered.title).is_visible()
    assert answered.title.startswith(f"Initech Components answered: #{incident.pk} ")
    assert buyer.get_by_text(ANSWER).is_visible()
    assert buyer.get_by_role("link", name=resolved.title).is_visible()
    assert resolved.title.startswith(f"Resolved: #{incident.pk} ")
    screenshot(buyer, "5-buyer-inbox")

    # 6. The buyer rejects the resolution, with a reason, on the confirmation page.
    buyer.get_by_role("link", name=resolved.title).click()
    buyer.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
    buyer.get_by_role("link", name="Reject it").click()
    buyer.get_by_role("heading", name="Reject the resolution").wait_for()
    buyer.get_by_label("Why the problem is not solved").fill(REASON)
    screenshot(buyer, "6-reject")
    buyer.get_by_role("button", name="Reject and reopen the incident").click()
    buyer.get_by_text("You rejected the resolution: the incident is reopened").wait_for()
    assert buyer.locator(".b-meta .badge").get_by_text("Reopened", exact=True).is_visible()
    screenshot(buyer, "6-rejected")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED

    # 7. The incident is reopened, and Rita's inbox says the resolution was rejected.
    rejected = told(worker, rita, Kind.RESOLUTION_REJECTED)
    assert rejected.title.startswith(f"Resolution rejected: #{incident.pk} ")
    responder.goto("/portal/")
    responder.get_by_role("link", name=re.compile(r"Inbox 1 unread")).click()
    responder.wait_for_url(re.compile(r"/inbox/$"))
    assert responder.get_by_role("link", name=rejected.title).is_visible()
    assert responder.get_by_text(REASON).is_visible()
    assert "Alice" not in responder.content() and "Acme" not in responder.content()
    screenshot(responder, "7-responder-told-of-rejection")
    responder.get_by_role("link", name=rejected.title).click()
    responder.wait_for_url(re.compile(rf"/portal/incidents/{incident.pk}/$"))
    assert responder.get_by_text(REASON).is_visible()
    screenshot(responder, "7-portal-reopened")
    assert admin.dialogs == buyer.dialogs == responder.dialogs == []
