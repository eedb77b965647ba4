"""What deleting a buyer organization or a category takes with it, whichever way it is deleted
(the admin, a script): the incidents' counters and the daily counts stay equal to a recount, as
posts_delete keeps them for evidence deleted one by one. Connected in apps.py to the models'
delete signals, the one moment that sees every way of deleting.

- An organization's posts go with it (Post.organization cascades): the incidents they were in
  are recounted and the daily counts lose them (its private rows go with it by cascade).
- A category's complaints become uncategorised (Post.predicted_category is set empty): its daily
  counts join the uncategorised ones of the same day, supplier and organization.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from suppliers.models import Organization

from ..models import Category, ComplaintDay, Post
from .complaint_days import Key, complaint_days_add, grouped_complaints
from .counters import incidents_recount
from .posts import incidents_of

_LEAVING = "_supplierwatch_evidence_leaving"


def on_organization_deleting(sender: Any, instance: Organization, **kwargs: Any) -> None:
    """Before the cascade: what the organization's posts count, and where."""
    post_ids = list(Post.objects.filter(organization_id=instance.pk).values_list("pk", flat=True))
    setattr(instance, _LEAVING, (incidents_of(post_ids), grouped_complaints(post_ids)))


def on_organization_deleted(sender: Any, instance: Organization, **kwargs: Any) -> None:
    """After it: those incidents recounted, those complaints taken from the daily counts."""
    incident_ids, daily = instance.__dict__.pop(_LEAVING, (set(), Counter()))
    incidents_recount(incident_ids=incident_ids, active_ids=())
    complaint_days_add({key: -n for key, n in daily.items() if key[3] != instance.pk})


def on_category_deleted(sender: Any, instance: Category, **kwargs: Any) -> None:
    rows = ComplaintDay.objects.filter(category_id=instance.pk)
    moved: Counter[Key] = Counter()
    for day, supplier_id, private_to, n in rows.values_list(
        "day", "supplier_id", "private_to_id", "n"
    ):
        moved[(day, supplier_id, None, private_to)] += n
    rows.delete()
    complaint_days_add(moved)
