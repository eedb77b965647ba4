"""Reads about one incident or a list of them, shared by the buyer pages, the portal, the API and
the webhooks. Each starts from a `visible_to` QuerySet and answers in a fixed number of queries."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate

from suppliers.models import Organization, VendorCode
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer

from ..models import (
    Category,
    Dispute,
    Incident,
    IncidentEvent,
    IncidentQuerySet,
    Post,
    PostMatch,
    Reply,
    Response,
)
from ..presenters.evidence import evidence_reference

if TYPE_CHECKING:
    from django.db.models import Model


def count_subquery(queryset: QuerySet[Model]) -> Subquery:
    """COUNT(*) of `queryset` per incident (it filters on OuterRef), as a subquery."""
    return Subquery(
        queryset.order_by().values("incident_id").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


# The incident lists' order: latest activity first, by the time each incident is shown with.
INCIDENT_ORDER = ("-shown_last_activity_at", "-id")


def incident_list(*, viewer: Viewer, supplier_id: int | None = None) -> IncidentQuerySet:
    """The incidents this viewer may see, latest activity first (INCIDENT_ORDER), each with what
    every view of it shows: supplier, category, assignee, the 8D disciplines, the times it is shown with
    (`shown_created_at`, `shown_updated_at`, `shown_last_activity_at`: to the hour for everyone
    but operators, so an order or a page boundary dates nothing more exactly than the times
    shown), and for a buyer its own `vendor_code` and `own_reports` (its organization's matches in
    the incident, with `post_visibility`: presenters.own_reports)."""
    incidents = (
        Incident.objects.visible_to(viewer)
        .with_shown_times(viewer)
        .select_related("supplier", "category", "assignee")
        .with_eight_d()
        .order_by(*INCIDENT_ORDER)
    )
    if supplier_id is not None:
        incidents = incidents.filter(supplier_id=supplier_id)
    if not viewer.is_buyer:
        return incidents
    organization_id = viewer.organization_id
    assert organization_id is not None  # a buyer always has their organization
    codes = VendorCode.objects.filter(
        organization_id=organization_id, supplier_id=OuterRef("supplier_id")
    ).order_by("code")
    # The organization's own reports in the listed incidents, in one query for the whole list
    # (presenters.own_reports counts them), read from the index of each incident's reporters
    # (match_incident_reporter): never the whole evidence of a large incident.
    own = (
        PostMatch.objects.filter(post_organization_id=organization_id)
        .only("id", "incident_id", "post_visibility")
        .order_by()
    )
    return incidents.annotate(vendor_code=Subquery(codes.values("code")[:1])).prefetch_related(
        Prefetch("matches", queryset=own, to_attr="own_reports")
    )


def incident_answers(*, viewer: Viewer, incident: Incident) -> QuerySet[Response]:
    """The answers this viewer may read, oldest first, with their author and the organization a
    private answer went to."""
    return (
        Response.objects.visible_to(viewer)
        .filter(incident=incident)
        .select_related("author", "organization")
    )


def incident_replies(*, viewer: Viewer, incident: Incident) -> QuerySet[Reply]:
    """The replies of reporting organizations that this viewer may read, oldest first, with
    their organization and author (presenters.reply_view decides what of them is shown)."""
    return (
        Reply.objects.visible_to(viewer)
        .filter(incident=incident)
        .select_related("organization", "author")
    )


# The evidence lists' and the timelines' order: newest first by the time each row is shown with.
EVIDENCE_ORDER = ("-shown_hour", "-shown_at", "-id")  # PostQuerySet.in_shown_order
TIMELINE_ORDER = ("-shown_at", "-id")


def incident_evidence(*, viewer: Viewer, incident: Incident) -> QuerySet[Post]:
    """The posts of this incident whose text the viewer may read, newest first by the time the
    viewer is shown (`shown_at`: to the hour for a report whose reporter it may not know, so the
    order tells no more than the times), with what the presenters show of them. Author and
    organization are joined for the rows whose identity the viewer may see;
    presenters.evidence_view decides, and never shows them otherwise."""
    return (
        Post.objects.in_incident(incident, viewer)
        .with_shown_time(viewer)
        .select_related(
            "category", "author", "organization", "predicted_category", "label_category"
        )
        .prefetch_related(
            "attachments",
            # The supplier's dispute of each piece of evidence (presenters.dispute_mark).
            Prefetch(
                "disputes",
                queryset=Dispute.objects.filter(supplier_id=incident.supplier_id),
                to_attr="shown_disputes",
            ),
        )
        .in_shown_order()
    )


def incident_evidence_ids(*, viewer: Viewer, incident: Incident) -> QuerySet[Post, int]:
    """The ids of incident_evidence, in its order. A page of a long list is chosen from these,
    which reads only each post's visibility and times, and only that page's posts are then loaded
    with what the presenters show (incident_evidence filtered on the page's ids). The page is read
    from the index of the incident's evidence by hour (PostQuerySet.in_shown_order)."""
    return (
        Post.objects.in_incident(incident, viewer)
        .with_shown_time(viewer)
        .in_shown_order()
        .values_list("pk", flat=True)
    )


def incident_evidence_by_reference(*, viewer: Viewer, incident: Incident, reference: str) -> Post:
    """The evidence of this incident that a supplier's staff name by its reference
    (presenters.evidence_reference); a refusal naming the field when none has it."""
    posts = Post.objects.in_incident(incident, viewer)
    for post in posts.only("id", "source", "visibility", "organization_id"):
        if reference and evidence_reference(post, viewer) == reference:
            return post
    raise ApplicationError("No such evidence in this incident.", field="evidence")


def incident_evidence_by_references(
    *, viewer: Viewer, incident: Incident, references: list[str]
) -> list[Post]:
    """The evidence of this incident that a supplier's staff (or, by id, an operator) name; a
    refusal naming the field when one of them names none."""
    posts = Post.objects.visible_to(viewer).filter(matches__incident=incident)
    wanted = {reference for reference in references if reference}
    found = [
        post
        for post in posts.only("id", "source", "visibility", "organization_id")
        if evidence_reference(post, viewer) in wanted
        or (viewer.is_operator and str(post.pk) in wanted)
    ]
    if len(found) != len(wanted):
        raise ApplicationError("No such evidence in this incident.", field="evidence")
    return found


def merged_incident_target(*, viewer: Viewer, pk: int) -> Incident | None:
    """Where the incident `pk` was merged, when it was and this viewer may follow it there: the
    target is one it may see, and so was the merged incident (it had evidence everyone counts, as
    its merge recorded, or it was the viewer's organization's private reports, which the pipeline
    folded into it) unless the viewer is an operator. None otherwise: a missing incident."""
    source = Incident.objects.filter(pk=pk, merged_into__isnull=False).first()
    if source is None or source.merged_into_id is None:  # the filter says; the type does not
        return None
    target = Incident.objects.visible_to(viewer).filter(pk=source.merged_into_id).first()
    if target is None:
        return None
    if viewer.is_operator:
        return target
    seen = Q(data__shared=True)
    if viewer.is_buyer:
        seen |= Q(data__shared=False, data__report_organization=viewer.organization_id)
    merged = IncidentEvent.objects.filter(incident=source, kind=IncidentEvent.Kind.MERGED_INTO)
    return target if merged.filter(seen).exists() else None


def merge_targets(*, viewer: Viewer, incident: Incident, limit: int = 20) -> IncidentQuerySet:
    """The open incidents of the same supplier this one may be merged into, latest first: the
    portal's short list beside the number field."""
    return (
        Incident.objects.visible_to(viewer)
        .open()
        .filter(supplier_id=incident.supplier_id, merged_into__isnull=True)
        .exclude(pk=incident.pk)
        .order_by("-last_activity_at", "-id")[:limit]
    )


def open_disputes(*, viewer: Viewer, incident: Incident) -> QuerySet[Dispute]:
    """The open disputes of this incident that this viewer decides, with their evidence."""
    return (
        Dispute.objects.decidable_by(viewer)
        .open()
        .filter(incident=incident)
        .select_related("post")
        .order_by("opened_at", "id")
    )


def incident_evidence_per_day(*, viewer: Viewer, incident: Incident) -> dict[date, int]:
    """How many posts of this incident the viewer may read, by day published (UTC): counted
    from their matches' copies of their time and visibility, in the index alone."""
    rows = (
        PostMatch.objects.in_incident(incident, viewer)
        .annotate(day=TruncDate("post_published_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("*"))
    )
    return {row["day"]: row["n"] for row in rows}


def incident_private_reports(*, viewer: Viewer, incident: Incident) -> int:
    """Private reports in this incident that the viewer may see (their organization's; all, for
    operators). The stored counters leave them out because nobody else may count them."""
    private = PostMatch.objects.in_incident(incident, viewer).filter(
        post_visibility=Post.Visibility.PRIVATE
    )
    if viewer.is_buyer and viewer.organization_id is not None:
        # What in_incident already says, spelt out so that the organization's private reports
        # are read from the index of the incident's reporters, not its whole evidence.
        private = private.filter(post_organization_id=viewer.organization_id)
    return private.count()


def incident_timeline(*, viewer: Viewer, incident: Incident) -> QuerySet[IncidentEvent]:
    """The incident's events, newest first by the time the viewer is shown (`shown_at`: to the
    hour for an event that brought reports whose reporters it may not know), without those about
    an answer the viewer may not read, with each actor's party (the supplier's staff see
    colleagues by name)."""
    readable = Response.objects.visible_to(viewer).filter(incident=incident).values("id")
    about_answer = Q(kind__in=IncidentEvent.ANSWER_KINDS)
    events = (
        IncidentEvent.objects.filter(incident=incident)
        .with_shown_time(viewer)
        .alias(answer_id=Cast(KeyTextTransform("response_id", "data"), BigIntegerField()))
        .filter(~about_answer | Q(answer_id__in=readable))
    )
    if not viewer.sees_supplier_side:
        # A reply or an acceptance is between its organization and the supplier.
        events = events.alias(
            said_by=Cast(KeyTextTransform("reply_organization", "data"), BigIntegerField())
        ).filter(Q(said_by__isnull=True) | Q(said_by=viewer.organization_id))
    return events.select_related("actor__membership").order_by(*TIMELINE_ORDER)


def incident_named_organizations(*, viewer: Viewer, incident: Incident) -> QuerySet[Organization]:
    """The organizations that reported this incident by name: the only ones a private answer may
    go to (anonymous reporters stay anonymous, so they are never offered)."""
    # Read from the index of the incident's reporters (their matches' copies), organization by
    # organization, however long the incident's evidence.
    named = PostMatch.objects.in_incident(incident, viewer).filter(
        post_visibility=Post.Visibility.NAMED
    )
    return Organization.objects.filter(
        Exists(named.filter(post_organization_id=OuterRef("pk")))
    ).order_by("name")


def active_category(*, slug: str) -> Category:
    """The category in use with this slug; a refusal naming the field otherwise."""
    category = Category.objects.active().filter(slug=slug).first()
    if category is None:
        raise ApplicationError("No such category.", field="category")
    return category
