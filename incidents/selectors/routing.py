"""A supplier's assignment rules as its rules page lists them: in order, each with the colleagues
it names and those of them who may no longer act (flagged; routing passes them over)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from suppliers.models import User
from supplierwatch.viewers import Viewer

from ..models import RoutingRule


@dataclass(frozen=True)
class RuleRow:
    rule: RoutingRule
    assignees: list[User]
    # Named by the rule but no longer able to act: they left, or became viewers.
    inactive: list[User]

    @property
    def is_skipped(self) -> bool:
        """Nobody it names may act: routing skips the rule as if it did not match."""
        return len(self.inactive) == len(self.assignees)


def routing_rules(*, viewer: Viewer) -> list[RuleRow]:
    """The rules of the viewer's supplier, in the order they are tried (three queries)."""
    if viewer.supplier_id is None:
        return []
    acting = set(User.objects.assignable_at(viewer.supplier_id).values_list("pk", flat=True))
    rules = (
        RoutingRule.objects.filter(supplier_id=viewer.supplier_id)
        .select_related("category")
        .prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("pk"), to_attr="in_turn_order")
        )
        .order_by("position", "pk")
    )
    return [
        RuleRow(
            rule=rule,
            assignees=rule.in_turn_order,
            inactive=[u for u in rule.in_turn_order if u.pk not in acting],
        )
        for rule in rules
    ]
