"""Saved views: a person's named set of filters on one of the incident lists, kept for themselves
or shared with their party (their buyer organization, or their supplier's team)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from suppliers.models import Organization, Supplier
from supplierwatch.viewers import viewer_of

from .. import inputs

if TYPE_CHECKING:
    from .values import Who


class SavedViewQuerySet(models.QuerySet["SavedView"]):
    def visible_to(self, who: Who) -> SavedViewQuerySet:
        """A person's own views, and the views shared with their party. Each row carries the
        party its owner had when saving it, so a shared view stays with that party."""
        viewer = viewer_of(who)
        if viewer.user_id is None:
            return self.none()
        own = Q(owner_id=viewer.user_id)
        if viewer.organization_id is not None:
            return self.filter(own | Q(shared=True, organization_id=viewer.organization_id))
        if viewer.supplier_id is not None:
            return self.filter(own | Q(shared=True, supplier_id=viewer.supplier_id))
        return self.filter(own)


class SavedView(models.Model):
    class List(models.TextChoices):
        INCIDENTS = inputs.BUYER_LIST, "Incidents"
        PORTAL = inputs.PORTAL_LIST, "Portal incidents"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=inputs.SAVED_VIEW_NAME_MAX)
    list_name = models.CharField(max_length=20, choices=List.choices)
    # The list's filters as its query string (`q=cracked&status=open`), only its known fields.
    query = models.CharField(max_length=inputs.SAVED_QUERY_MAX, blank=True)
    shared = models.BooleanField(default=False)
    # The owner's party when saving: who `shared` shares it with.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "list_name", "name", name="saved_view_unique_name_per_owner_list"
            ),
            # Shared with one party at most: an organization or a supplier's team.
            models.CheckConstraint(
                condition=Q(organization__isnull=True) | Q(supplier__isnull=True),
                name="saved_view_one_party",
            ),
        ]

    def __str__(self) -> str:
        return self.name
