"""Which colleague a new incident goes to: a supplier's assignment rules, in their order, the
first that matches deciding. Plain Python with no Django import, fed plain data.

A rule names one colleague, or a group taken in turn (round-robin). Colleagues who may no longer
act (they left, or became viewers) are passed over; a rule with nobody left who may act is skipped
as if it did not match, so that nobody who may not act is ever given work. No rule: the incident
stays with the team.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

BUYER = "buyer"
PUBLIC = "public"
SOURCES = (BUYER, PUBLIC)
AT_LEAST = "at_least"
EXACTLY = "exactly"


@dataclass(frozen=True)
class Rule:
    """One rule's conditions (empty: any) and the colleagues it names, in their turn order."""

    id: int
    assignees: tuple[int, ...]
    category_id: int | None = None
    severity: int | None = None
    severity_match: str = AT_LEAST
    sku_prefix: str = ""
    lot_prefix: str = ""
    source: str = ""
    # How many incidents the rule has given so far: whose turn it is in a group.
    turn: int = 0


@dataclass(frozen=True)
class Case:
    """What a rule looks at in a new incident (codes as grouping.normalise_code writes them)."""

    category_id: int | None
    severity: int
    sku: str
    lot: str
    source: str


@dataclass(frozen=True)
class Decision:
    rule_id: int
    assignee_id: int


def matches(rule: Rule, case: Case) -> bool:
    """Does the incident meet every condition the rule sets?"""
    if rule.category_id is not None and rule.category_id != case.category_id:
        return False
    if rule.severity is not None:
        if rule.severity_match == EXACTLY and case.severity != rule.severity:
            return False
        if rule.severity_match != EXACTLY and case.severity < rule.severity:
            return False
    if rule.sku_prefix and not case.sku.upper().startswith(rule.sku_prefix.upper()):
        return False
    if rule.lot_prefix and not case.lot.upper().startswith(rule.lot_prefix.upper()):
        return False
    return not rule.source or rule.source == case.source


def who_may_act(rule: Rule, acting: Collection[int]) -> tuple[int, ...]:
    """The rule's colleagues who may still act, in turn order."""
    return tuple(person for person in rule.assignees if person in acting)


def decide(rules: Sequence[Rule], case: Case, acting: Collection[int]) -> Decision | None:
    """The first rule (in the order given) that matches and names someone who may act, and whose
    turn it is; None when the incident stays with the team. `acting`: the supplier's colleagues
    who may act now."""
    for rule in rules:
        if not matches(rule, case):
            continue
        candidates = who_may_act(rule, acting)
        if candidates:
            return Decision(rule.id, candidates[rule.turn % len(candidates)])
    return None
