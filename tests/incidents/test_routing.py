"""Assignment rules applied by the pipeline: a new incident goes to the colleague its supplier's
first matching rule names, with the rule on the timeline; rules are written by the supplier's
admins only, and name only colleagues who may act.

ivy is Initech's admin, carol an Initech responder, dave Umbrella's responder.
"""

from __future__ import annotations

from itertools import count

import pytest

from incidents import services
from incidents.models import Incident, IncidentEvent, Post, RoutingRule, Severity
from incidents.presenters.events import event_actor, event_data, event_sentence
from suppliers.models import Membership, SupplierAlias, User
from suppliers.services import membership_remove, membership_set_role
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of
from tests.factories import (
    BuyerPostFactory,
    SupplierAliasFactory,
    SupplierMembershipFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

CRACKED = "Half the housings are cracked and out of spec, unacceptable."
_lots = count()


@pytest.fixture
def responder(initech) -> User:
    return SupplierMembershipFactory(
        supplier=initech, user__first_name="Rita", role=Membership.Role.RESPONDER
    ).user


@pytest.fixture
def report(django_capture_on_commit_callbacks, initech, alice):
    """Alice reports a problem of a lot of its own (a new incident each time) unless told."""

    def _report(*, lot: str | None = None, severity=Severity.MEDIUM, **extra) -> Incident:
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_report(
                author=alice,
                supplier=initech,
                text=CRACKED,
                category=defect_category(),
                lot=lot if lot is not None else f"L-{next(_lots)}",
                severity=severity,
                **extra,
            )
        return Incident.objects.get(matches__post=post)

    return _report


@pytest.fixture
def publish(django_capture_on_commit_callbacks, initech):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")

    def _publish(text: str) -> Incident:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(
                source="twitter",
                rows=[{"external_id": f"p{next(_lots)}", "text": text, "author_handle": "x"}],
            )
        return Incident.objects.get(matches__post_id=result.post_ids[0])

    return _publish


def add_rule(ivy, initech, *assignees, **conditions) -> RoutingRule:
    conditions.setdefault("name", f"Rule {next(_lots)}")
    return services.routing_rule_save(
        actor=ivy, supplier=initech, assignees=list(assignees), **conditions
    )


def routed(incident: Incident) -> IncidentEvent | None:
    return incident.events.filter(kind=IncidentEvent.Kind.ASSIGNED).first()


# --- Applying the rules ----------------------------------------------------------------------


def test_without_rules_a_new_incident_stays_with_the_team(report):
    incident = report()
    assert incident.assignee is None
    assert routed(incident) is None


def test_a_matching_rule_assigns_the_new_incident_and_says_so(report, ivy, initech, carol, alice):
    rule = add_rule(ivy, initech, carol, name="Defects", category=defect_category())
    incident = report()
    assert incident.assignee == carol
    event = routed(incident)
    assert event.actor is None
    assert event.data == {
        "assignee_id": carol.pk,
        "assignee": carol.display_name,
        "rule": "Defects",
        "rule_id": rule.pk,
    }
    kinds = list(incident.events.order_by("pk").values_list("kind", flat=True))
    assert kinds.index("created") < kinds.index("assigned")
    staff, buyer = viewer_of(ivy), viewer_of(alice)
    assert event_sentence(event, staff, "Initech") == (
        "Assigned to Carol Carter by the rule \u201cDefects\u201d."
    )
    assert event_actor(event, staff) == "an assignment rule"
    assert event_data(event, buyer) == {}
    assert event_sentence(event, buyer, "Initech") == "Assigned to a person at Initech."


@pytest.mark.parametrize(
    ("conditions", "given"),
    [
        ({"severity": Severity.HIGH, "severity_match": "at_least"}, True),
        ({"severity": Severity.CRITICAL, "severity_match": "at_least"}, False),
        ({"severity": Severity.MEDIUM, "severity_match": "exactly"}, False),
        ({"sku_prefix": "hx"}, True),
        ({"sku_prefix": "HY"}, False),
        ({"lot_prefix": "l-77"}, True),
        ({"lot_prefix": "L-78"}, False),
        ({"source": "buyer"}, True),
        ({"source": "public"}, False),
    ],
)
def test_each_condition_decides(report, ivy, initech, carol, conditions, given):
    add_rule(ivy, initech, carol, **conditions)
    incident = report(severity=Severity.HIGH, sku="HX-100", lot=f"L-77{next(_lots)}")
    assert (incident.assignee == carol) is given


def test_a_public_post_is_routed_by_a_rule_for_public_posts(publish, ivy, initech, carol):
    add_rule(ivy, initech, carol, source="buyer")
    add_rule(ivy, initech, ivy, source="public")
    incident = publish("@initech your housings arrived cracked and out of spec, unacceptable")
    assert incident.assignee == ivy


def test_the_first_matching_rule_wins(report, ivy, initech, carol, responder):
    add_rule(ivy, initech, ivy, source="public")
    add_rule(ivy, initech, carol, category=defect_category())
    add_rule(ivy, initech, responder)
    assert report().assignee == carol


def test_a_group_takes_turns(report, ivy, initech, carol, responder):
    add_rule(ivy, initech, responder, carol)
    given = [report().assignee for _ in range(4)]
    in_turn = sorted([carol, responder], key=lambda user: user.pk)
    assert given == in_turn * 2


def test_new_incidents_of_one_batch_take_turns_too(ivy, initech, carol, responder, alice):
    add_rule(ivy, initech, carol, responder)
    posts = [
        BuyerPostFactory(organization=alice.party.organization, author=alice, supplier=initech)
        for _ in range(4)
    ]
    services.posts_process(post_ids=[post.pk for post in posts])
    given = [Incident.objects.get(matches__post=post).assignee for post in posts]
    assert sorted(given.count(person) for person in (carol, responder)) == [2, 2]
    assert RoutingRule.objects.get().turn == 4


def test_a_private_report_s_own_incident_is_not_routed(report, ivy, initech, carol):
    """The supplier does not see that incident: telling carol of it would leak it."""
    add_rule(ivy, initech, carol)
    incident = report(visibility=Post.Visibility.PRIVATE)
    assert incident.assignee is None
    assert routed(incident) is None


def test_evidence_joining_an_incident_does_not_route_it_again(report, ivy, initech, carol):
    incident = report(lot="L-1")
    add_rule(ivy, initech, carol)
    assert report(lot="L-1") == incident
    incident.refresh_from_db()
    assert incident.assignee is None


def test_a_colleague_who_left_is_skipped_for_the_next_rule(report, ivy, initech, carol, responder):
    add_rule(ivy, initech, carol)
    add_rule(ivy, initech, responder)
    membership_remove(membership=carol.membership, actor=ivy)
    assert report().assignee == responder


def test_a_colleague_made_viewer_is_passed_over_in_a_group(report, ivy, initech, carol, responder):
    add_rule(ivy, initech, carol, responder)
    membership_set_role(membership=carol.membership, role=Membership.Role.VIEWER, actor=ivy)
    assert {report().assignee for _ in range(3)} == {responder}


def test_a_rule_with_nobody_left_leaves_the_incident_with_the_team(report, ivy, initech, carol):
    add_rule(ivy, initech, carol)
    membership_remove(membership=carol.membership, actor=ivy)
    assert report().assignee is None


# --- Writing the rules --------------------------------------------------------------------------


def test_a_rule_cannot_name_a_viewer_or_someone_of_another_supplier(ivy, initech, dave):
    viewer = SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user
    for person, message in ((viewer, services.MAY_NOT_ACT), (dave, services.NOT_A_COLLEAGUE)):
        with pytest.raises(ApplicationError) as caught:
            add_rule(ivy, initech, person)
        assert (caught.value.field, caught.value.message) == ("assignees", message)
    assert not RoutingRule.objects.exists()


def test_a_rule_names_somebody(ivy, initech):
    with pytest.raises(ApplicationError) as caught:
        add_rule(ivy, initech)
    assert caught.value.field == "assignees"


@pytest.mark.parametrize("who", ["carol", "dave", "alice"])
def test_only_the_supplier_s_admins_write_its_rules(ivy, initech, carol, who, request):
    with pytest.raises(ApplicationError) as caught:
        add_rule(request.getfixturevalue(who), initech, carol)
    assert caught.value.code == "forbidden"


def test_an_operator_may_write_a_supplier_s_rules(operator, initech, carol):
    assert add_rule(operator, initech, carol).assignees.get() == carol


def test_rule_conditions_are_checked_and_codes_written_as_grouping_writes_them(ivy, initech, carol):
    rule = add_rule(ivy, initech, carol, sku_prefix=" hx 1 ", lot_prefix="l-2")
    assert (rule.sku_prefix, rule.lot_prefix) == ("HX-1", "L-2")
    with pytest.raises(ApplicationError) as caught:
        add_rule(ivy, initech, carol, severity=9)
    assert caught.value.field == "severity"
    with pytest.raises(ApplicationError) as caught:
        add_rule(ivy, initech, carol, name=" ")
    assert caught.value.field == "name"


def test_new_rules_come_last_and_move_one_place_at_a_time(ivy, initech, carol):
    first, second, third = (add_rule(ivy, initech, carol, name=n) for n in "abc")

    def order():
        return list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True))

    assert order() == ["a", "b", "c"]
    services.routing_rule_move(actor=ivy, rule=third, up=True)
    assert order() == ["a", "c", "b"]
    services.routing_rule_move(actor=ivy, rule=first, up=False)
    assert order() == ["c", "a", "b"]
    services.routing_rule_move(actor=ivy, rule=second, up=False)  # last already
    assert order() == ["c", "a", "b"]


# --- Reopened incidents ------------------------------------------------------------------------


def _resolve(incident: Incident, by: User) -> None:
    services.incident_resolve(incident=incident, actor=by, note="Replaced the batch.")


def test_a_regression_of_an_unassigned_incident_is_routed_like_a_new_one(
    report, ivy, initech, carol
):
    incident = report(lot="L-REG")
    _resolve(incident, ivy)
    add_rule(ivy, initech, carol)
    assert report(lot="L-REG") == incident
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED
    assert incident.assignee == carol
    assert routed(incident).data["rule_id"] == RoutingRule.objects.get().pk


def test_a_reopened_incident_stays_with_an_assignee_who_may_still_act(
    report, ivy, initech, carol, responder
):
    incident = report(lot="L-KEEP")
    services.incident_assign(incident=incident, actor=ivy, assignee=responder)
    _resolve(incident, ivy)
    add_rule(ivy, initech, carol)
    report(lot="L-KEEP")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED
    assert incident.assignee == responder
    assert incident.events.filter(kind=IncidentEvent.Kind.ASSIGNED).count() == 1


def test_a_rejected_resolution_of_an_unassigned_incident_is_routed(
    report, ivy, initech, carol, alice
):
    incident = report(lot="L-REJ")
    _resolve(incident, ivy)
    add_rule(ivy, initech, carol)
    services.incident_reject_resolution(
        incident=incident, actor=alice, reason="Still cracked in the new delivery."
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED
    assert incident.assignee == carol
