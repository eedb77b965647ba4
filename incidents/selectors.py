"""Reads that the pages and the API share. Each answers one question in a fixed number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Incident, Post, Response

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from suppliers.models import User


def incident_list(*, user: User, supplier_id: int | None = None) -> QuerySet[Incident]:
    incidents = Incident.objects.visible_to(user).select_related("supplier", "category", "assignee")
    if supplier_id is not None:
        incidents = incidents.filter(supplier_id=supplier_id)
    return incidents


def organization_reports(*, user: User) -> QuerySet[Post]:
    """The reports of the user's own organization, newest first."""
    membership = user.party
    if membership is None or membership.organization_id is None:
        return Post.objects.none()
    return (
        Post.objects.visible_to(user)
        .filter(organization_id=membership.organization_id)
        .select_related("supplier", "category", "author")
    )


def incident_responses(*, user: User, incident: Incident) -> QuerySet[Response]:
    return Response.objects.visible_to(user).filter(incident=incident).select_related("author")
