"""A supplier's assignment rules: its admins write them; the pipeline applies them to each new
incident (incidents.routing decides, record_assignment gives the incident and says which rule
did, on the timeline)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict

from django.db import transaction
from django.db.models import Max

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from .. import grouping, routing
from ..inputs import clean_routing_rule
from ..models import Category, Incident, Post, RoutingRule
from .assignments import check_assignee, record_assignment

ONLY_ADMINS = "Only an admin of this supplier manages its assignment rules."


def may_manage_rules(actor: User | None, supplier_id: int) -> bool:
    """A supplier's admins manage its rules; operators may too."""
    viewer = viewer_of(actor)
    return viewer.is_operator or (
        viewer.is_supplier_staff and viewer.supplier_id == supplier_id and viewer.is_admin
    )


def _require_admin(actor: User, supplier_id: int) -> None:
    if not may_manage_rules(actor, supplier_id):
        raise ApplicationError(ONLY_ADMINS, code="forbidden")


@transaction.atomic
def routing_rule_save(
    *,
    actor: User,
    supplier: Supplier,
    rule: RoutingRule | None = None,
    name: str,
    assignees: Sequence[User],
    category: Category | None = None,
    severity: int | None = None,
    severity_match: str = routing.AT_LEAST,
    sku_prefix: str = "",
    lot_prefix: str = "",
    source: str = "",
) -> RoutingRule:
    """Add a rule (last in the order), or change `rule`. It names colleagues who may act: one, or
    a group taken in turn."""
    _require_admin(actor, supplier.pk)
    if rule is not None and rule.supplier_id != supplier.pk:
        raise ApplicationError("No such rule.", code="not_found")
    cleaned = clean_routing_rule(
        name=name,
        severity=severity,
        severity_match=severity_match,
        sku_prefix=sku_prefix,
        lot_prefix=lot_prefix,
        source=source,
    )
    if not assignees:
        raise ApplicationError("Choose a colleague, or several to take turns.", field="assignees")
    for assignee in assignees:
        check_assignee(supplier.pk, assignee, field="assignees")
    if rule is None:
        last = RoutingRule.objects.filter(supplier=supplier).aggregate(last=Max("position"))
        rule = RoutingRule(supplier=supplier, position=(last["last"] or 0) + 1)
    for field, value in asdict(cleaned).items():
        setattr(rule, field, value)
    rule.category = category
    rule.save()
    rule.assignees.set(assignees)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    _require_admin(actor, rule.supplier_id)
    RoutingRule.objects.filter(pk=rule.pk).delete()


@transaction.atomic
def routing_rule_move(*, actor: User, rule: RoutingRule, up: bool) -> None:
    """Move a rule one place earlier (`up`) or later in its supplier's order."""
    _require_admin(actor, rule.supplier_id)
    rules = list(RoutingRule.objects.select_for_update().filter(supplier_id=rule.supplier_id))
    at = next((i for i, each in enumerate(rules) if each.pk == rule.pk), None)
    if at is None:
        return
    to = at - 1 if up else at + 1
    if 0 <= to < len(rules):
        rules[at], rules[to] = rules[to], rules[at]
    for position, each in enumerate(rules, start=1):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position", "updated_at"])


def routing_case(incident: Incident, post: Post) -> routing.Case:
    """What the rules look at in a new incident: the evidence that opened it."""
    return routing.Case(
        category_id=incident.category_id,
        severity=incident.severity,
        sku=grouping.normalise_code(post.sku),
        lot=grouping.normalise_code(post.lot),
        source=routing.BUYER if post.is_buyer_post else routing.PUBLIC,
    )


def _kept(incident: Incident) -> bool:
    """Whether the incident already has somebody who may act on it."""
    return (
        incident.assignee_id is not None
        and User.objects.assignable_at(incident.supplier_id)
        .filter(pk=incident.assignee_id)
        .exists()
    )


def incident_route_again(incident: Incident) -> int:
    """Route a reopened incident (locked) by the evidence that opened it; 1 if it was given."""
    opening = (
        Post.objects.filter(matches__incident=incident, matches__is_primary=True)
        .exclude(visibility=Post.Visibility.PRIVATE)
        .order_by("pk")
        .first()
    )
    return incidents_route(opened=[(incident, opening)]) if opening else 0


def incidents_route(*, opened: Sequence[tuple[Incident, Post]]) -> int:
    """Give each new or reopened incident (locked, with the post that opened it) to the colleague
    its supplier's first matching rule names, recording the rule on the timeline; how many were
    given. Called inside the transaction that opened it. A reopened incident whose assignee may
    still act stays with them: they know it best (and are told it reopened).

    The suppliers' rules are locked in one fixed order, so that two workers routing at once take
    turns one after the other: each round-robin turn is given once."""
    opened = [(incident, post) for incident, post in opened if not _kept(incident)]
    if not opened:
        return 0
    supplier_ids = sorted({incident.supplier_id for incident, _ in opened})
    locked = list(
        RoutingRule.objects.select_for_update()
        .filter(supplier_id__in=supplier_ids)
        .order_by("supplier_id", "position", "pk")
    )
    if not locked:
        return 0
    in_turn_order: dict[int, list[int]] = defaultdict(list)
    for rule_id, user_id in (
        RoutingRule.assignees.through.objects.filter(routingrule__in=locked)
        .order_by("user_id")
        .values_list("routingrule_id", "user_id")
    ):
        in_turn_order[rule_id].append(user_id)
    by_supplier: dict[int, list[RoutingRule]] = defaultdict(list)
    for rule in locked:
        by_supplier[rule.supplier_id].append(rule)
    acting = {
        supplier_id: set(User.objects.assignable_at(supplier_id).values_list("pk", flat=True))
        for supplier_id in by_supplier
    }
    turned: set[RoutingRule] = set()
    given = 0
    for incident, post in opened:
        rules = by_supplier.get(incident.supplier_id, [])
        decision = routing.decide(
            # Read afresh for each incident: the next one of this batch takes the next turn.
            [rule.as_rule(tuple(in_turn_order[rule.pk])) for rule in rules],
            routing_case(incident, post),
            acting.get(incident.supplier_id, set()),
        )
        if decision is None:
            continue
        rule = next(rule for rule in rules if rule.pk == decision.rule_id)
        rule.turn += 1
        turned.add(rule)
        assignee = User.objects.get(pk=decision.assignee_id)
        record_assignment(incident, assignee, None, rule=rule.name, rule_id=rule.pk)
        given += 1
    for rule in sorted(turned, key=lambda rule: rule.pk):
        RoutingRule.objects.filter(pk=rule.pk).update(turn=rule.turn)
    return given
