"""The 8D: eight disciplines, each with its text, owner, due and done dates.

carol is an Initech responder, ivy Initech's admin, vic an Initech viewer, dave Umbrella's
responder, alice (Acme) reported the incident anonymously, bob (Globex) is another buyer.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Discipline, EightDStep, Incident, IncidentEvent, Post, Severity
from incidents.presenters import incident_view, timeline_entry
from incidents.presenters.events import event_data
from suppliers.models import Membership, User
from suppliers.services import membership_remove, membership_set_role
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Who reported: the name and e-mail address that must reach neither the supplier nor other buyers.
ALICE_IDENTITY = ("Alice", "alice@acme.test", "Acme")


@pytest.fixture
def vic(initech) -> User:
    return SupplierMembershipFactory(
        supplier=initech,
        user__first_name="Vic",
        user__email="vic@initech.test",
        role=Membership.Role.VIEWER,
    ).user


@pytest.fixture
def incident(initech, acme, alice) -> Incident:
    """An Initech incident that alice reported anonymously."""
    incident = IncidentFactory(
        supplier=initech, title="Cracked housings", severity=Severity.HIGH, post_count=1
    )
    post = BuyerPostFactory(
        supplier=initech,
        organization=acme,
        author=alice,
        visibility=Post.Visibility.ANONYMOUS,
        status=Post.Status.PROCESSED,
        is_complaint=True,
        text="Housings cracked on arrival, lot L-88.",
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    return incident


def step(incident: Incident, discipline: str) -> EightDStep:
    return incident.eight_d_steps.get(discipline=discipline)


def eight_d_events(incident: Incident) -> list[IncidentEvent]:
    return list(incident.events.filter(kind=IncidentEvent.Kind.EIGHT_D).order_by("id"))


# --- The service --------------------------------------------------------------------------------


def test_updating_a_discipline_stores_it_and_records_its_progress(incident, carol, ivy):
    services.eightd_update(
        incident=incident,
        discipline="d4",
        actor=carol,
        text="  Worn moulding tool.  ",
        owner=ivy,
        due_on="2026-12-24",
        done_on=TODAY,
    )
    recorded = step(incident, "d4")
    assert (recorded.text, recorded.owner, recorded.due_on, recorded.done_on) == (
        "Worn moulding tool.",
        ivy,
        date(2026, 12, 24),
        TODAY,
    )
    [event] = eight_d_events(incident)
    assert event.actor == carol
    assert event.data == {
        "discipline": "d4",
        "changed": ["text", "owner", "due_on", "done_on"],
        "done": True,
        "owner_id": ivy.pk,
        "owner": ivy.display_name,
    }


def test_only_the_parts_given_change(incident, carol, ivy):
    services.eightd_update(incident=incident, discipline="d3", actor=carol, text="Quarantined.")
    services.eightd_update(incident=incident, discipline="d3", actor=carol, owner=ivy)
    recorded = step(incident, "d3")
    assert (recorded.text, recorded.owner) == ("Quarantined.", ivy)
    assert [e.data["changed"] for e in eight_d_events(incident)] == [["text"], ["owner"]]


def test_saving_what_is_recorded_again_writes_no_event(incident, carol):
    services.eightd_update(incident=incident, discipline="d3", actor=carol, text="Quarantined.")
    services.eightd_update(incident=incident, discipline="d3", actor=carol, text="Quarantined.")
    assert len(eight_d_events(incident)) == 1


def test_a_viewer_may_not_update_the_8d(incident, vic):
    with pytest.raises(ApplicationError) as caught:
        services.eightd_update(incident=incident, discipline="d3", actor=vic, text="x")
    assert caught.value.code == "forbidden"
    assert not EightDStep.objects.exists()


def test_another_suppliers_staff_and_buyers_may_not_update_the_8d(incident, dave, alice):
    for outsider in (dave, alice):
        with pytest.raises(ApplicationError):
            services.eightd_update(incident=incident, discipline="d3", actor=outsider, text="x")
    assert not EightDStep.objects.exists()


def test_the_owner_is_a_colleague_who_may_act(incident, carol, vic, dave, alice):
    for refused, reason in [
        (vic, services.MAY_NOT_ACT),
        (dave, services.NOT_A_COLLEAGUE),
        (alice, services.NOT_A_COLLEAGUE),
    ]:
        with pytest.raises(ApplicationError) as caught:
            services.eightd_update(incident=incident, discipline="d5", actor=carol, owner=refused)
        assert (caught.value.field, caught.value.message) == ("owner", reason)
    assert not EightDStep.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"discipline": "d9"}, "discipline"),
        ({"due_on": "24/12/2026"}, "due_on"),
        ({"due_on": "9999-01-01"}, "due_on"),
        ({"done_on": (TODAY + timedelta(days=1)).isoformat()}, "done_on"),
        ({"text": "x" * 20_001}, "text"),
    ],
)
def test_bad_input_is_refused_naming_its_field(incident, carol, changes, field):
    arguments = {"discipline": "d2", **changes}
    with pytest.raises(ApplicationError) as caught:
        services.eightd_update(incident=incident, actor=carol, **arguments)
    assert caught.value.field == field
    assert not EightDStep.objects.exists()


def test_the_8d_is_updated_after_the_incident_is_closed(incident, carol):
    """Verification and closure often come after the resolution."""
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.CLOSED)
    services.eightd_update(incident=incident, discipline="d8", actor=carol, text="Thanks, team.")
    assert step(incident, "d8").text == "Thanks, team."


def test_a_discipline_not_done_past_its_due_date_is_overdue(incident, carol):
    yesterday = TODAY - timedelta(days=1)
    services.eightd_update(incident=incident, discipline="d4", actor=carol, due_on=yesterday)
    services.eightd_update(
        incident=incident, discipline="d5", actor=carol, due_on=yesterday, done_on=TODAY
    )
    services.eightd_update(incident=incident, discipline="d6", actor=carol, due_on=TODAY)
    view = incident_view(Incident.objects.with_eight_d().get(pk=incident.pk), carol.viewer)
    overdue = {d.discipline: d.overdue for d in view.eight_d}
    assert overdue == {value: value == "d4" for value in Discipline.values}
    assert (view.eight_d_done, view.eight_d_overdue) == (1, 1)


# --- A colleague who leaves owns nothing unfinished -----------------------------------------------


def test_a_removed_colleague_s_unfinished_disciplines_go_back_to_nobody(incident, carol, ivy):
    services.eightd_update(incident=incident, discipline="d4", actor=ivy, owner=carol)
    services.eightd_update(
        incident=incident, discipline="d3", actor=ivy, owner=carol, done_on=TODAY
    )
    membership_remove(membership=carol.membership, actor=ivy)

    assert step(incident, "d4").owner is None
    assert step(incident, "d3").owner == carol  # done work keeps who did it
    back = eight_d_events(incident)[-1]
    assert back.actor == ivy
    assert back.data["changed"] == ["owner"]
    assert (back.data["reason"], back.data["previous"]) == ("left", carol.display_name)


def test_a_colleague_made_viewer_owns_nothing_unfinished(incident, carol, ivy):
    services.eightd_update(incident=incident, discipline="d5", actor=ivy, owner=carol)
    membership_set_role(membership=carol.membership, role=Membership.Role.VIEWER, actor=ivy)
    assert step(incident, "d5").owner is None


def test_the_timeline_says_why_to_the_supplier_and_nothing_more_to_buyers(
    incident, carol, ivy, alice
):
    services.eightd_update(incident=incident, discipline="d4", actor=ivy, owner=carol)
    membership_remove(membership=carol.membership, actor=ivy)
    event = eight_d_events(incident)[-1]
    supplier = timeline_entry(event, viewer_of(ivy), "Initech")
    buyer = timeline_entry(event, viewer_of(alice), "Initech")
    assert supplier.text == "D4 Root cause: owned by nobody now, Carol Carter left the team."
    assert buyer.text == "D4 Root cause: owner changed."
    assert "Carol" not in str(event_data(event, viewer_of(alice)))
    assert event_data(event, viewer_of(alice)) == {
        "discipline": "d4",
        "changed": ["owner"],
        "done": False,
    }


# --- The portal's incident page ----------------------------------------------------------------


def portal_url(incident: Incident, discipline: str = "") -> str:
    return f"/portal/incidents/{incident.pk}/" + (f"8d/{discipline}/" if discipline else "")


def test_a_responder_edits_a_discipline_from_the_incident_page(client, incident, carol, ivy):
    client.force_login(carol)
    page = client.get(portal_url(incident))
    assert page.context["eight_d_editable"]
    # The page links each discipline's form, which it fetches when its editor is opened.
    assert f'hx-get="{portal_url(incident, "d3")}"' in page.content.decode()
    fragment = client.get(portal_url(incident, "d3"), HTTP_HX_REQUEST="true")
    assert set(fragment.context["form"].fields) == {"text", "owner", "due_on", "done_on"}
    html = fragment.content.decode()
    assert 'id="form-8d-d3"' in html and "Ivy Ingram" in html and "<html" not in html
    # Without JavaScript, the link opens the same form on a page of its own.
    html = client.get(portal_url(incident, "d3")).content.decode()
    assert "<html" in html and 'id="form-8d-d3"' in html and "D3 Containment" in html
    response = client.post(
        portal_url(incident, "d3"),
        {"text": "Lot L-88 quarantined.", "owner": ivy.pk, "due_on": "", "done_on": ""},
    )
    assert response.status_code == 302
    assert response.url == portal_url(incident) + "#d3"
    assert (step(incident, "d3").text, step(incident, "d3").owner) == ("Lot L-88 quarantined.", ivy)
    html = client.get(response.url).content.decode()
    assert "D3 Containment" in html and "Owner: Ivy Ingram" in html


def test_a_viewer_reads_the_8d_and_is_refused_an_edit(client, incident, carol, vic):
    services.eightd_update(incident=incident, discipline="d3", actor=carol, text="Held.")
    client.force_login(vic)
    page = client.get(portal_url(incident))
    assert "Held." in page.content.decode()
    assert all(form is None for _, form in page.context["eight_d"])
    assert not page.context["eight_d_editable"] and "Edit D3" not in page.content.decode()
    assert client.get(portal_url(incident, "d3")).status_code == 403
    assert client.post(portal_url(incident, "d3"), {"text": "Changed"}).status_code == 403
    assert step(incident, "d3").text == "Held."


def test_another_supplier_and_a_buyer_get_a_404_from_the_portal_route(
    client, incident, dave, alice
):
    for outsider in (dave, alice):
        client.force_login(outsider)
        assert client.post(portal_url(incident, "d3"), {"text": "x"}).status_code == 404
        assert client.get(portal_url(incident, "d3")).status_code == 404
        assert client.get(f"/portal/incidents/{incident.pk}/8d/").status_code == 404
    assert not EightDStep.objects.exists()


def test_an_unknown_discipline_is_a_404(client, incident, carol):
    client.force_login(carol)
    assert client.post(portal_url(incident, "d9"), {"text": "x"}).status_code == 404


def test_a_viewer_offered_as_owner_is_refused_beside_the_field_keeping_what_was_typed(
    client, incident, carol, vic
):
    client.force_login(carol)
    response = client.post(
        portal_url(incident, "d4"), {"text": "Worn mould, cavity 3", "owner": vic.pk}
    )
    assert response.status_code == 400
    form = next(f for d, f in response.context["eight_d"] if d.discipline == "d4")
    assert form.errors["owner"]
    assert len(response.context["eight_d"]) == 8  # every discipline is still on the page
    html = response.content.decode()
    assert "Worn mould, cavity 3</textarea>" in html
    assert 'href="#form-8d-d4"' in html
    assert not EightDStep.objects.exists()


def test_a_done_date_in_the_future_is_refused_beside_it(client, incident, carol):
    client.force_login(carol)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(portal_url(incident, "d6"), {"text": "Checked", "done_on": tomorrow})
    assert response.status_code == 400
    form = next(f for d, f in response.context["eight_d"] if d.discipline == "d6")
    assert form.errors["done_on"]


def test_overdue_disciplines_are_highlighted(client, incident, carol):
    services.eightd_update(
        incident=incident, discipline="d4", actor=carol, due_on=TODAY - timedelta(days=3)
    )
    client.force_login(carol)
    html = client.get(portal_url(incident)).content.decode()
    assert 'id="d4" class="discipline state-overdue"' in html
    assert 'id="d5" class="discipline state-not-started"' in html
    assert "1 overdue" in html


def test_a_colleague_who_left_shows_as_nobody_on_the_page(client, incident, carol, ivy):
    services.eightd_update(incident=incident, discipline="d4", actor=ivy, owner=carol)
    membership_remove(membership=carol.membership, actor=ivy)
    client.force_login(ivy)
    html = client.get(portal_url(incident)).content.decode()
    assert "owned by nobody now, Carol Carter left the team" in html
    d4 = html[html.index('id="d4"') : html.index('id="d5"')]
    assert "Owner: nobody" in d4


# --- What buyers see ----------------------------------------------------------------------------


@pytest.fixture
def worked(incident, carol, ivy) -> Incident:
    services.eightd_update(
        incident=incident,
        discipline="d3",
        actor=carol,
        text="Lot L-88 quarantined.",
        owner=ivy,
        done_on=TODAY,
    )
    services.eightd_update(
        incident=incident,
        discipline="d4",
        actor=carol,
        text="Worn mould.",
        owner=carol,
        due_on=TODAY - timedelta(days=1),
    )
    return incident


def test_buyers_see_the_8d_texts_and_progress_but_not_who_owns_it(client, worked, bob):
    client.force_login(bob)
    response = client.get(f"/incidents/{worked.pk}/")
    html = response.content.decode()
    assert "Lot L-88 quarantined." in html and "Worn mould." in html
    assert "1 of 8 disciplines done" in html
    assert "overdue" in html
    assert "Ivy" not in html and "Carol" not in html
    assert f'href="/incidents/{worked.pk}/8d/"' in html


def test_the_api_names_owners_to_the_supplier_only(client, worked, carol, bob):
    client.force_login(carol)
    supplier = client.get(f"/api/v1/incidents/{worked.pk}/").json()["eight_d"]
    client.force_login(bob)
    buyer = client.get(f"/api/v1/incidents/{worked.pk}/").json()["eight_d"]
    assert [d["discipline"] for d in buyer] == Discipline.values
    assert supplier[2]["owner"]["email"] == "ivy@initech.test"
    assert buyer[2]["owner"] is None and buyer[2]["owned"] is True
    assert (buyer[2]["text"], buyer[2]["done_on"]) == ("Lot L-88 quarantined.", TODAY.isoformat())
    assert buyer[3]["overdue"] is True
    assert "initech.test" not in str(buyer)


def test_the_api_updates_a_discipline_and_refuses_a_viewer_as_owner(client, incident, carol, vic):
    client.force_login(carol)
    url = f"/api/v1/incidents/{incident.pk}/actions/"
    saved = client.post(
        url,
        {"discipline": "d2", "text": "3 of 40 housings cracked.", "owner": "CAROL@initech.test"},
        content_type="application/json",
    )
    assert saved.status_code == 200
    d2 = saved.json()["eight_d"][1]
    assert (d2["text"], d2["owner"]["email"]) == ("3 of 40 housings cracked.", carol.email)
    refused = client.post(
        url, {"discipline": "d2", "owner": vic.email}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"owner": [services.MAY_NOT_ACT]}
    bad_date = client.post(
        url, {"discipline": "d2", "due_on": "soon"}, content_type="application/json"
    )
    assert bad_date.status_code == 400
    assert "due_on" in str(bad_date.json())


# --- The printable 8D report ---------------------------------------------------------------------


def report_html(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_printable_report_shows_the_header_evidence_and_eight_disciplines(
    client, worked, carol, bob
):
    for user, url, owner_named in [
        (carol, f"/portal/incidents/{worked.pk}/8d/", True),
        (bob, f"/incidents/{worked.pk}/8d/", False),
    ]:
        html = report_html(client, user, url)
        assert f"#{worked.pk} Cracked housings" in html
        assert "Initech Components" in html and "High" in html and "New" in html
        assert "Anonymous reports" in html
        for value, label in Discipline.choices:
            assert f"{value.upper()} {label}" in html
        assert "Lot L-88 quarantined." in html
        assert ("Owner: Ivy Ingram" in html) is owner_named
        assert "@media print" not in html  # the print rules are in the stylesheet, not inline


def test_the_printable_report_never_names_the_anonymous_reporter(client, worked, carol, bob):
    for user, url in [
        (carol, f"/portal/incidents/{worked.pk}/8d/"),
        (bob, f"/incidents/{worked.pk}/8d/"),
    ]:
        html = report_html(client, user, url)
        for identity in ALICE_IDENTITY:
            assert identity not in html, (user, identity)


def test_the_report_is_a_404_for_whoever_may_not_see_it(client, worked, dave, carol, alice):
    client.force_login(dave)
    assert client.get(f"/portal/incidents/{worked.pk}/8d/").status_code == 404
    client.force_login(carol)
    assert client.get(f"/incidents/{worked.pk}/8d/").status_code == 404  # the buyers' route
    assert client.get("/portal/incidents/999999/8d/").status_code == 404
    client.force_login(alice)
    assert client.get("/incidents/999999/8d/").status_code == 404
    client.logout()
    assert client.get(f"/incidents/{worked.pk}/8d/").status_code == 302  # to the login page


# Session, person, membership (the header), the incident with its 8D, the party's name, the bell,
# the saved views of the header's menu; for a buyer, its organization's own reports in the incident.
REPORT_QUERIES = 8
BUYER_REPORT_QUERIES = REPORT_QUERIES + 1


def test_the_report_costs_the_same_queries_however_much_8d_is_recorded(
    client, incident, carol, ivy, bob, django_assert_num_queries
):
    routes = [
        (carol, f"/portal/incidents/{incident.pk}/8d/", REPORT_QUERIES),
        (bob, f"/incidents/{incident.pk}/8d/", BUYER_REPORT_QUERIES),
    ]

    def cost_of_each_route() -> None:
        for user, url, queries in routes:
            client.force_login(user)
            client.get(url)  # the session's first request writes it
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200

    cost_of_each_route()
    for value in Discipline.values:
        services.eightd_update(
            incident=incident, discipline=value, actor=carol, text=f"{value} text", owner=ivy
        )
    cost_of_each_route()


def test_the_incident_pages_cost_the_same_queries_with_one_or_eight_disciplines(
    client, incident, carol, ivy, bob, django_assert_max_num_queries
):
    pages = [(carol, f"/portal/incidents/{incident.pk}/"), (bob, f"/incidents/{incident.pk}/")]

    def costs() -> list[int]:
        counted = []
        for user, url in pages:
            client.force_login(user)
            client.get(url)
            with django_assert_max_num_queries(100) as queries:
                assert client.get(url).status_code == 200
            counted.append(len(queries))
        return counted

    # One discipline first: an empty timeline costs a query less (its page is not read at all).
    services.eightd_update(incident=incident, discipline="d1", actor=carol, text="Team", owner=ivy)
    one = costs()
    for value in Discipline.values:
        services.eightd_update(
            incident=incident, discipline=value, actor=carol, text=f"{value} text", owner=ivy
        )
    assert costs() == one


def test_webhooks_carry_the_8d_as_the_api_does_naming_owners_to_the_supplier_only(
    worked, acme, initech, django_capture_on_commit_callbacks
):
    from integrations.models import WebhookDelivery
    from integrations.services import webhook_events_dispatch, webhook_subscription_create

    for party in ({"organization": acme}, {"supplier": initech}):
        webhook_subscription_create(
            url="http://127.0.0.1:9/hook", events=["incident.updated"], **party
        )
    with django_capture_on_commit_callbacks(execute=False):
        webhook_events_dispatch()
    last = worked.events.filter(kind=IncidentEvent.Kind.EIGHT_D).latest("id")
    deliveries = WebhookDelivery.objects.filter(incident_event=last).select_related("subscription")
    payloads = {d.subscription.organization_id is None: d.payload["data"] for d in deliveries}
    supplier, buyer = payloads[True], payloads[False]
    assert buyer["change"] == {
        "kind": "eight_d",
        "discipline": "d4",
        "changed": ["text", "owner", "due_on"],
        "done": False,
    }
    assert supplier["change"]["owner"] == "Carol Carter"
    assert buyer["incident"]["eight_d"][3]["owner"] is None
    assert supplier["incident"]["eight_d"][3]["owner"]["name"] == "Carol Carter"
    assert "Carol" not in str(buyer) and "Ivy" not in str(buyer)
