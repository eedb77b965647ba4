"""A supplier's assignment rules: which colleague a new incident goes to (incidents.routing decides)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from suppliers.models import Supplier

from .. import routing
from .evidence import Category
from .values import Severity


class RoutingRule(models.Model):
    """One assignment rule of a supplier: conditions (empty: any) leading to one colleague, or to a
    group taken in turn. The first matching rule, in `position` order, wins."""

    class SeverityMatch(models.TextChoices):
        AT_LEAST = routing.AT_LEAST, "at least"
        EXACTLY = routing.EXACTLY, "exactly"

    class Source(models.TextChoices):
        ANY = "", "Any source"
        BUYER = routing.BUYER, "Buyer reports"
        PUBLIC = routing.PUBLIC, "Public posts"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    severity_match = models.CharField(
        max_length=10, choices=SeverityMatch.choices, default=SeverityMatch.AT_LEAST
    )
    sku_prefix = models.CharField("SKU prefix", max_length=64, blank=True)
    lot_prefix = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, blank=True, default="")
    # One colleague, or a group taken in turn (by account, oldest first). A colleague who leaves
    # stays named, so that the rules page can flag the rule; routing passes them over.
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    # How many incidents the rule has given: whose turn it is. Changed under the rule's row lock.
    turn = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    def as_rule(self, assignee_ids: tuple[int, ...]) -> routing.Rule:
        """The rule as the pure core reads it, with its colleagues in turn order."""
        return routing.Rule(
            id=self.pk,
            assignees=assignee_ids,
            category_id=self.category_id,
            severity=self.severity,
            severity_match=self.severity_match,
            sku_prefix=self.sku_prefix,
            lot_prefix=self.lot_prefix,
            source=self.source,
            turn=self.turn,
        )
