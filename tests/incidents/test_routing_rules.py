"""The routing decision (incidents.routing): plain data in, plain data out, no database."""

from __future__ import annotations

import pytest

from incidents.routing import AT_LEAST, BUYER, EXACTLY, PUBLIC, Case, Decision, Rule, decide

CASE = Case(category_id=7, severity=3, sku="HX-100", lot="L-2024-07", source=BUYER)
EVERYONE = {1, 2, 3, 4}


def rule(id: int = 1, assignees: tuple[int, ...] = (1,), **conditions) -> Rule:
    return Rule(id=id, assignees=assignees, **conditions)


def test_a_rule_without_conditions_takes_every_incident():
    assert decide([rule()], CASE, EVERYONE) == Decision(1, 1)


def test_without_rules_the_incident_stays_with_the_team():
    assert decide([], CASE, EVERYONE) is None


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({"category_id": 7}, True),
        ({"category_id": 8}, False),
        ({"severity": 3, "severity_match": AT_LEAST}, True),
        ({"severity": 2, "severity_match": AT_LEAST}, True),
        ({"severity": 4, "severity_match": AT_LEAST}, False),
        ({"severity": 3, "severity_match": EXACTLY}, True),
        ({"severity": 2, "severity_match": EXACTLY}, False),
        ({"sku_prefix": "HX"}, True),
        ({"sku_prefix": "hx-1"}, True),
        ({"sku_prefix": "HY"}, False),
        ({"lot_prefix": "L-2024"}, True),
        ({"lot_prefix": "L-2023"}, False),
        ({"source": BUYER}, True),
        ({"source": PUBLIC}, False),
        ({"category_id": 7, "severity": 3, "sku_prefix": "HX", "source": BUYER}, True),
        ({"category_id": 7, "severity": 3, "sku_prefix": "HX", "source": PUBLIC}, False),
    ],
)
def test_each_condition_must_hold(conditions, matches):
    assert (decide([rule(**conditions)], CASE, EVERYONE) is not None) is matches


def test_a_sku_prefix_does_not_match_an_incident_without_sku():
    case = Case(category_id=None, severity=1, sku="", lot="", source=PUBLIC)
    assert decide([rule(sku_prefix="HX")], case, EVERYONE) is None


def test_the_first_matching_rule_wins():
    rules = [
        rule(1, (1,), category_id=8),
        rule(2, (2,), severity=2),
        rule(3, (3,)),
    ]
    assert decide(rules, CASE, EVERYONE) == Decision(2, 2)


def test_a_group_takes_turns_in_order():
    turns = [decide([rule(assignees=(1, 2, 3), turn=turn)], CASE, EVERYONE) for turn in range(5)]
    assert [d.assignee_id for d in turns if d] == [1, 2, 3, 1, 2]


def test_a_colleague_who_may_no_longer_act_is_passed_over_in_a_group():
    turns = [decide([rule(assignees=(1, 2, 3), turn=turn)], CASE, {1, 3}) for turn in range(4)]
    assert [d.assignee_id for d in turns if d] == [1, 3, 1, 3]


def test_a_rule_naming_only_colleagues_who_left_is_skipped_for_the_next():
    rules = [rule(1, (4,)), rule(2, (2,))]
    assert decide(rules, CASE, {1, 2, 3}) == Decision(2, 2)
    assert decide(rules[:1], CASE, {1, 2, 3}) is None
