"""A buyer's reply: an organization that reported an incident answering back to its supplier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from suppliers.models import Organization
from supplierwatch.viewers import viewer_of

from .incidents import Incident

if TYPE_CHECKING:
    from .values import Who


class ReplyQuerySet(models.QuerySet["Reply"]):
    def visible_to(self, who: Who) -> ReplyQuerySet:
        """A reply is a conversation between one reporting organization and the supplier: the
        supplier's staff read every reply on its incidents, an organization its own, and other
        buyers none (a reply names POs and quantities, and would tie an anonymous report to
        its words)."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_supplier_staff:
            return self.filter(
                incident__in=Incident.objects.visible_to(viewer),
            )
        if viewer.is_buyer:
            return self.filter(organization_id=viewer.organization_id)
        return self.none()


class Reply(models.Model):
    """What a reporting organization writes back on an incident, to the supplier."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="replies")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="replies"
    )
    body = models.TextField()
    # Did the organization report this incident by name when it replied? Only then may the
    # supplier read which organization replied; an anonymous reporter's reply stays anonymous.
    named = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply on {self.incident_id}"
