"""Reads of the buyer pages: the organization's reports, followed incidents and their news, the
suppliers with the most open incidents, and the attachments a buyer may download."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from django.db.models import Case, Count, F, Min, OuterRef, Prefetch, QuerySet, When
from django.db.models.functions import Coalesce

from supplierwatch.viewers import Viewer

from ..charts import TimeRange, Trend
from ..models import (
    Attachment,
    ComplaintDay,
    Follow,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Response,
    hour_of,
)
from .incidents import count_subquery
from .trends import complaints_trend


def organization_reports(*, viewer: Viewer) -> QuerySet[Post]:
    """The reports of the viewer's own organization, newest first. A buyer may read every one
    of them, private ones included (readable_condition), so they are chosen by the organization
    alone: the dashboard counts them from that column's index, without reading the rows."""
    if not viewer.is_buyer:
        return Post.objects.none()
    organization_id = viewer.organization_id
    assert organization_id is not None  # a buyer always has their organization
    return Post.objects.filter(organization_id=organization_id).select_related(
        "supplier", "category", "author", "predicted_category", "label_category"
    )


def organization_reports_with_incidents(*, viewer: Viewer) -> QuerySet[Post]:
    """The organization's reports, each with `joined` (its grouped primary match, if any)."""
    joined = PostMatch.objects.filter(is_primary=True, incident__isnull=False).select_related(
        "incident"
    )
    return organization_reports(viewer=viewer).prefetch_related(
        Prefetch("matches", queryset=joined, to_attr="joined")
    )


# Event kinds a buyer may count as news on an incident they follow. Answers are counted through
# Response.objects.visible_to instead (a private answer to another organization is no news to
# them), and assignments are the supplier's internal business.
FOLLOW_NEWS_KINDS = (
    IncidentEvent.Kind.CREATED,
    IncidentEvent.Kind.POST_ADDED,
    IncidentEvent.Kind.REOPENED,
    IncidentEvent.Kind.SPIKE,
    IncidentEvent.Kind.STATUS_CHANGED,
    IncidentEvent.Kind.SEVERITY_CHANGED,
    IncidentEvent.Kind.ACTION_RECORDED,
    IncidentEvent.Kind.EIGHT_D,
)


def followed_incidents(*, viewer: Viewer) -> QuerySet[Follow]:
    """The viewer's follows of incidents they may still see, with `news`: what happened since
    seen_at. Those with news come first, then by the incident's latest activity as shown."""
    if viewer.user_id is None:
        return Follow.objects.none()  # a party, not a person, follows nothing
    new_events = IncidentEvent.objects.filter(
        incident_id=OuterRef("incident_id"),
        created_at__gt=OuterRef("seen_at"),
        kind__in=FOLLOW_NEWS_KINDS,
    )
    new_answers = Response.objects.visible_to(viewer).filter(
        incident_id=OuterRef("incident_id"), created_at__gt=OuterRef("seen_at")
    )
    # By the incident's latest activity as shown (to the hour but for operators: with_shown_times).
    activity = "incident__last_activity_at"
    shown_activity = F(activity) if Incident.shows_exact_times_to(viewer) else hour_of(activity)
    return (
        Follow.objects.filter(
            user_id=viewer.user_id, incident__in=Incident.objects.visible_to(viewer)
        )
        .select_related("incident", "incident__supplier", "incident__category")
        .annotate(
            new_events=Coalesce(count_subquery(new_events), 0),
            new_answers=Coalesce(count_subquery(new_answers), 0),
        )
        .annotate(news=F("new_events") + F("new_answers"))
        .order_by(
            Case(When(news__gt=0, then=0), default=1),
            shown_activity.desc(),
            "-id",
        )
    )


def suppliers_most_open_incidents(*, viewer: Viewer, limit: int = 10) -> list[Mapping[str, object]]:
    """Suppliers by how many open incidents this viewer may see: [{supplier name, slug, open}].
    Grouped by the supplier alone, in the order of its index (incident_supplier_open_count), and
    its name and slug taken once per group."""
    return list(
        Incident.objects.visible_to(viewer)
        .open()
        .order_by()
        .values("supplier_id")
        .annotate(
            open=Count("id"),
            supplier__name=Min("supplier__name"),
            supplier__slug=Min("supplier__slug"),
        )
        .order_by("-open", "supplier__name")[:limit]
    )


def report_by_external_id(*, author_id: int, external_id: str) -> Post | None:
    """The author's own report with this external id (a form sent twice is recognised by it)."""
    return Post.objects.filter(
        source=Post.BUYER_SOURCE, external_id=external_id, author_id=author_id
    ).first()


def report_incident_id(*, post: Post) -> int | None:
    """The incident a report was grouped into, once the pipeline has processed it."""
    return (
        PostMatch.objects.filter(post=post, is_primary=True, incident__isnull=False)
        .values_list("incident_id", flat=True)
        .first()
    )


def attachment_for(*, viewer: Viewer, key: uuid.UUID) -> Attachment | None:
    """The attachment, with its post and the post's attachments (presenters.attachment_views
    names it by its place among them), if the viewer may read the post it belongs to; None
    otherwise (the same 404 for both)."""
    return (
        Attachment.objects.filter(key=key, post__in=Post.objects.visible_to(viewer))
        .select_related("post")
        .prefetch_related("post__attachments")
        .first()
    )


def network_complaints_trend(*, viewer: Viewer, time_range: TimeRange, now: datetime) -> Trend:
    """Complaints about any supplier that the viewer may count, grouped into incidents, over the
    range (selectors.trends: two queries): the buyer dashboard's trend."""
    days = ComplaintDay.objects.countable_by(viewer)
    return complaints_trend(days, time_range=time_range, now=now)
