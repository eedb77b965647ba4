"""A merge in a real browser: a supplier's responder merges one incident into another from the
portal's short list; a buyer who opens the merged incident's page lands on the target and reads
the merge on its history, without learning who reported the moved evidence. Then the responder
ticks a piece of evidence and splits it out into a new incident."""

from __future__ import annotations

import re

import pytest

from incidents import services
from incidents.models import Incident, Post
from tests.factories import defect_category

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _report(author, initech, text: str, lot: str) -> tuple[Post, Incident]:
    post = services.post_report(
        author=author, supplier=initech, text=text, category=defect_category(), lot=lot
    )
    return post, Incident.objects.get(matches__post=post)


def test_a_responder_merges_from_the_portal_and_buyers_follow_the_merge(
    new_page, screenshot, alice, bob, carol, initech
):
    moved, source = _report(alice, initech, "Gaskets of lot L-77 leaked on the bench.", "L-77")
    kept, target = _report(bob, initech, "Gaskets of lot L-78 leak at 2 bar.", "L-78")
    assert source != target

    # 1. Carol merges the first incident into the second, chosen from the short list.
    responder = new_page()
    login(responder, "carol@initech.test")
    responder.goto(f"/portal/incidents/{source.pk}/")
    responder.get_by_text("Merge into…").click()
    responder.get_by_role("button", name=re.compile(f"#{target.pk} ")).click()
    responder.get_by_text(re.compile(f"Merged into #{target.pk}")).wait_for()
    assert responder.url.endswith(f"/portal/incidents/{target.pk}/")
    assert responder.get_by_text("Gaskets of lot L-77 leaked on the bench.").is_visible()
    screenshot(responder, "1-merged")

    # 2. Bob opens the merged incident's page and lands on the target, with the merge told.
    buyer = new_page()
    login(buyer, "bob@globex.test")
    buyer.goto(f"/incidents/{source.pk}/")
    buyer.get_by_text(re.compile(f"Incident #{source.pk} was merged into this one")).wait_for()
    assert buyer.url.endswith(f"/incidents/{target.pk}/")
    assert "Acme" not in buyer.content() and "Alice" not in buyer.content()
    screenshot(buyer, "2-buyer-redirected")
    target.refresh_from_db()
    assert target.post_count == 2

    # 3. Carol splits Acme's report out again, into a new incident.
    responder.goto(f"/portal/incidents/{target.pk}/")
    responder.locator("article", has_text="lot L-77 leaked").get_by_role("checkbox").check()
    responder.get_by_role("button", name="Split evidence out").click()
    responder.get_by_text(re.compile("Split out into the new incident")).wait_for()
    new = Incident.objects.get(matches__post=moved)
    assert new not in (source, target)
    assert responder.url.endswith(f"/portal/incidents/{new.pk}/")
    assert Incident.objects.get(matches__post=kept) == target
    screenshot(responder, "3-split")
