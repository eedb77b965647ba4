"""Disputes: a supplier's claim that a piece of evidence is not a complaint or not about it.

The evidence stays counted and visible, marked as disputed, until someone who may judge the claim
accepts it: an operator, or (for a buyer report) a member of the organization that reported it.
Only an accepted dispute takes the evidence out of the supplier's incidents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from suppliers.models import Supplier
from supplierwatch.viewers import viewer_of

from .evidence import Post
from .incidents import Incident

if TYPE_CHECKING:
    from .values import Who


class DisputeQuerySet(models.QuerySet["Dispute"]):
    def open(self) -> DisputeQuerySet:
        return self.filter(status=Dispute.Status.OPEN)

    def accepted(self) -> DisputeQuerySet:
        return self.filter(status=Dispute.Status.ACCEPTED)

    def decidable_by(self, who: Who) -> DisputeQuerySet:
        """The disputes this viewer judges: every one for operators; for a buyer, those about its
        own organization's shared reports. Nobody judges a claim about itself."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_buyer:
            return self.filter(
                post__source=Post.BUYER_SOURCE, post__organization_id=viewer.organization_id
            ).exclude(post__visibility=Post.Visibility.PRIVATE)
        return self.none()


class Dispute(models.Model):
    class Reason(models.TextChoices):
        NOT_A_COMPLAINT = "not_complaint", "Not a complaint"
        NOT_ABOUT_US = "not_about_us", "Not about us"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="disputes")
    # The incident the evidence was in when disputed: where the timeline tells of it.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="disputes")
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="disputes")
    reason = models.CharField(max_length=15, choices=Reason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="disputes_opened",
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            # A supplier disputes a piece of evidence once; a rejected dispute is the answer.
            models.UniqueConstraint("post", "supplier", name="dispute_once_per_post_supplier"),
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False)),
                name="dispute_decided_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"], name="dispute_status_time")]

    def __str__(self) -> str:
        return f"Dispute of {self.post} by {self.supplier_id}: {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def decidable_by(self, who: Who) -> bool:
        """May this viewer decide it? The single-row twin of DisputeQuerySet.decidable_by (the
        post must be loaded)."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return True
        post = self.post
        return (
            viewer.is_buyer
            and post.is_buyer_post
            and post.visibility != Post.Visibility.PRIVATE
            and post.organization_id == viewer.organization_id
        )
