"""The incidents API: list, read, act on, answer, the evidence behind, and the CSV export. Each view
validates the request's shape, calls one service or selector, and serialises what the presenters
say the caller may see; every incident is fetched through `visible_to`, so another party's is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.models import Organization, User, person
from supplierwatch.api.pagination import ApiCursorPagination
from supplierwatch.api.permissions import IsBuyer, IsSupplierStaff, request_viewer
from supplierwatch.errors import ApplicationError

from .. import selectors, services
from ..exports import incidents_csv
from ..models import Dispute, Incident
from ..presenters import (
    answer_view,
    dispute_mark,
    evidence_view,
    incident_detail_view,
    incident_view,
    reply_view,
)
from . import examples
from .filters import IncidentFilter, StrictOrderingFilter
from .merging import MergeSplitActions
from .serializers import (
    AssignSerializer,
    DisputeInputSerializer,
    DisputeMarkSerializer,
    EightDSerializer,
    EvidenceSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    MergedPointerSerializer,
    RejectSerializer,
    ReplyInputSerializer,
    ReplySerializer,
    ResolveSerializer,
    RespondSerializer,
    ResponseSerializer,
)

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission

ORDERING = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    enum=[
        f"{sign}{field}"
        for field in ("last_activity_at", "created_at", "updated_at")
        for sign in ("", "-")
    ],
    description="Sort order; `-` for descending. Default: `-last_activity_at`. By the times "
    "as given (to the hour); incidents of the same hour in the order of their ids.",
)
SUPPLIER_ACTIONS = {
    "acknowledge",
    "investigate",
    "assign",
    "resolve",
    "actions",
    "disputes",
    "merge",
    "split",
}
# What reporting organizations do (services.replies and services.disputes check that the
# organization reported).
BUYER_ACTIONS = {"accept", "reject", "decide_dispute"}
STATE_CONFLICT = OpenApiResponse(
    description="The incident's status does not allow this action now (e.g. it is resolved)."
)
UNPROCESSABLE = OpenApiResponse(
    description="A value the schema allows but a rule refuses; `fields` names it."
)


class EvidencePagination(ApiCursorPagination):
    # selectors.incident_evidence's order. A cursor holds the first field's value of a page's
    # last post: the hour of its time, never a hidden exact one.
    # CursorPagination takes a tuple; the base's "-id" has mypy infer `str` for all subclasses.
    ordering = selectors.EVIDENCE_ORDER


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description="The incidents your key may see, newest activity first. Cursor-paginated: "
        "follow `next` until it is null. For a sync, pass `updated_since` and "
        "`ordering=last_activity_at`. `created_at`, `updated_at`, `last_activity_at`, "
        "`first_seen_at` and `last_seen_at` are given to the hour: they may be the time of an "
        "anonymous report.",
        parameters=[ORDERING],
        examples=[examples.INCIDENT_LIST],
    ),
    retrieve=extend_schema(
        summary="Read an incident",
        description="Counters, timeline and the answers your key may read. An incident merged "
        "into another answers `301 Moved Permanently`, its `Location` (and `api_url`) the "
        "incident it was merged into.",
        responses={
            200: IncidentDetailSerializer,
            301: OpenApiResponse(
                MergedPointerSerializer, description="Merged into the incident named."
            ),
        },
        examples=[examples.INCIDENT_DETAIL],
    ),
)
class IncidentViewSet(
    MergeSplitActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IncidentSerializer
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["last_activity_at", "created_at", "updated_at"]
    ordering = "-last_activity_at"
    lookup_value_regex = r"[0-9]+"
    queryset = Incident.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incident_list(viewer=request_viewer(self.request))

    def get_permissions(self) -> list[_SupportsHasPermission]:
        permissions = list(super().get_permissions())
        answering = self.action == "responses" and self.request.method == "POST"
        if self.action in SUPPLIER_ACTIONS or answering:
            permissions.append(IsSupplierStaff())
        replying = self.action == "replies" and self.request.method == "POST"
        if self.action in BUYER_ACTIONS or replying:
            permissions.append(IsBuyer())
        return permissions

    def _incident(self, incident: Incident) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=incident.pk)
        return IncidentSerializer(incident_view(fresh, request_viewer(self.request))).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incidents = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        viewer, now = request_viewer(request), timezone.now()
        views = [incident_view(incident, viewer, now=now) for incident in incidents]
        return self.get_paginated_response(IncidentSerializer(views, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        viewer = request_viewer(request)
        missing: Http404 | None = None
        try:
            incident = self.get_object()
        except Http404 as error:
            missing = error
        if missing is not None or incident.is_merged:
            # A merged incident points to the one it was merged into (as a missing one for
            # whoever may not follow it there).
            target = selectors.merged_incident_target(viewer=viewer, pk=int(kwargs["pk"]))
            if target is None:
                raise missing or Http404
            url = incident_view(target, viewer).api_url
            pointer = {
                "detail": f"This incident was merged into #{target.pk}.",
                "merged_into": target.pk,
                "api_url": url,
            }
            return Response(
                MergedPointerSerializer(pointer).data,
                status=status.HTTP_301_MOVED_PERMANENTLY,
                headers={"Location": url},
            )
        detail = incident_detail_view(
            incident,
            viewer,
            events=list(selectors.incident_timeline(viewer=viewer, incident=incident)),
            answers=list(selectors.incident_answers(viewer=viewer, incident=incident)),
        )
        return Response(IncidentDetailSerializer(detail).data)

    @extend_schema(
        summary="Acknowledge an incident",
        description="Supplier keys (write scope). Sets `acknowledged_at`; a new or reopened "
        "incident becomes acknowledged. Acknowledging one already acknowledged changes nothing.",
        request=None,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT},
        examples=[examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_acknowledge(
            incident=self.get_object(), actor=person(request.user)
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Start investigating an incident",
        description="Supplier keys (write scope).",
        request=None,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT},
        examples=[examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def investigate(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_start_investigation(
            incident=self.get_object(), actor=person(request.user)
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Assign an incident to a colleague",
        description="Supplier keys (write scope). `assignee` is the e-mail address of a "
        "responder or admin of your supplier (viewers only read, and are refused with a 422 "
        "naming `assignee`); null gives the incident back to the team.",
        request=AssignSerializer,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.ASSIGN, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = self.get_object()
        email = serializer.validated_data["assignee"]
        assignee = None
        if email is not None:
            assignee = (
                User.objects.colleagues_of(incident.supplier_id).filter(email__iexact=email).first()
            )
            if assignee is None:
                raise ApplicationError(services.NOT_A_COLLEAGUE, field="assignee")
            # A viewer is found here and refused by the service, in its words.
        incident = services.incident_assign(
            incident=incident, actor=person(request.user), assignee=assignee
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Resolve an incident",
        description="Supplier keys (write scope). The note is shown on the timeline.",
        request=ResolveSerializer,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT},
        examples=[examples.RESOLVE, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_resolve(
            incident=self.get_object(),
            actor=person(request.user),
            note=serializer.validated_data["note"],
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Update one discipline of the 8D",
        description="Supplier keys (write scope). `discipline` is d1 (team) to d8 (closure); "
        "only the other fields sent change: `text`, `owner` (the e-mail address of a responder "
        "or admin of your supplier, null for nobody; anyone else is a 422 naming `owner`), "
        "`due_on` and `done_on` (dates; done not after today). Each change is on the timeline.",
        request=EightDSerializer,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.ACTIONS, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: str | None = None) -> Response:
        serializer = EightDSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = self.get_object()
        changes = dict(serializer.validated_data)
        discipline = changes.pop("discipline")
        if changes.get("owner") is not None:
            email = changes["owner"]
            owner = (
                User.objects.colleagues_of(incident.supplier_id).filter(email__iexact=email).first()
            )
            if owner is None:
                raise ApplicationError(services.NOT_A_COLLEAGUE, field="owner")
            changes["owner"] = owner  # a viewer is found here and refused by the service
        services.eightd_update(
            incident=incident, discipline=discipline, actor=person(request.user), **changes
        )
        return Response(self._incident(incident))

    @extend_schema(
        methods=["GET"],
        summary="List the answers to an incident",
        description="The answers your key may read: public ones, and private ones to your "
        "organization (a supplier reads all of its own).",
        responses=ResponseSerializer(many=True),
        examples=[examples.RESPONSE_LIST],
    )
    @extend_schema(
        methods=["POST"],
        summary="Answer an incident",
        description="Supplier keys (write scope). Public by default; with `organization`, "
        "privately to an organization that reported the incident by name.",
        request=RespondSerializer,
        responses={201: ResponseSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.RESPOND, examples.RESPONSE],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def responses(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        if request.method == "GET":
            answers = selectors.incident_answers(viewer=viewer, incident=incident)
            return Response(
                ResponseSerializer([answer_view(a, viewer) for a in answers], many=True).data
            )
        serializer = RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = None
        slug = serializer.validated_data.get("organization")
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                # No such organization is refused as one that did not report by name.
                raise ApplicationError(services.PRIVATE_ANSWER_REFUSAL, field="organization")
        answer = services.incident_respond(
            incident=incident,
            author=person(request.user),
            body=serializer.validated_data["body"],
            organization=organization,
            waits_for_buyer=serializer.validated_data.get("waits_for_buyer", False),
        )
        answer = selectors.incident_answers(viewer=viewer, incident=incident).get(pk=answer.pk)
        return Response(
            ResponseSerializer(answer_view(answer, viewer)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        methods=["GET"],
        summary="List the replies of reporting organizations",
        description="Replies are between one reporting organization and the supplier: a buyer "
        "key reads its own organization's, a supplier key every reply on its incidents, with "
        "`organization` only when that organization reported the incident by name.",
        responses=ReplySerializer(many=True),
        examples=[examples.REPLY_LIST],
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply to the supplier",
        description="Buyer keys (write scope) of an organization with an anonymous or named "
        "report in the incident; others get a 403. An anonymous reporter's reply does not "
        "tell the supplier who wrote it.",
        request=ReplyInputSerializer,
        responses={201: ReplySerializer, 409: STATE_CONFLICT},
        examples=[examples.REPLY, examples.REPLY_CREATED],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def replies(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        if request.method == "GET":
            replies = selectors.incident_replies(viewer=viewer, incident=incident)
            return Response(
                ReplySerializer([reply_view(r, viewer) for r in replies], many=True).data
            )
        serializer = ReplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = services.incident_reply(
            incident=incident, author=person(request.user), body=serializer.validated_data["body"]
        )
        reply = selectors.incident_replies(viewer=viewer, incident=incident).get(pk=reply.pk)
        return Response(
            ReplySerializer(reply_view(reply, viewer)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Accept a resolution",
        description="Buyer keys (write scope) of a reporting organization, on a resolved "
        "incident: records that the resolution solves your problem (the incident stays "
        "resolved; the supplier closes it). Accepting twice changes nothing.",
        request=None,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT},
        examples=[examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_accept_resolution(
            incident=self.get_object(), actor=person(request.user)
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Reject a resolution",
        description="Buyer keys (write scope) of a reporting organization, on a resolved "
        "incident: the incident reopens with fresh SLA due times and the supplier reads your "
        "reason (without your organization's name if you reported anonymously).",
        request=RejectSerializer,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.REJECT, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_reject_resolution(
            incident=self.get_object(),
            actor=person(request.user),
            reason=serializer.validated_data["reason"],
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="List the evidence of an incident",
        description="The posts behind the incident that your key may read. A buyer report's "
        "`reporter` (organization, author, PO number) is given only when its visibility lets "
        "you see who reported it.",
        responses=EvidenceSerializer(many=True),
        examples=[examples.EVIDENCE_LIST],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="posts",
        pagination_class=EvidencePagination,
        filter_backends=[],
    )
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        posts = self.paginate_queryset(
            selectors.incident_evidence(viewer=viewer, incident=incident)
        )
        views = [evidence_view(post, viewer) for post in posts or []]
        return self.get_paginated_response(EvidenceSerializer(views, many=True).data)

    @extend_schema(
        summary="Dispute a piece of evidence",
        description="Supplier keys (write scope): say that a piece of evidence of your incident "
        "is not a complaint or not about you, naming it by its `reference` (from "
        "`GET .../posts/`). Nothing is removed: the evidence stays counted, marked as disputed, "
        "until an operator (or, for a buyer report, the reporting organization) accepts. The "
        "dispute is on the timeline every viewer reads. Disputing the same evidence for the same "
        "reason again returns the same dispute.",
        request=DisputeInputSerializer,
        responses={201: DisputeMarkSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.DISPUTE, examples.DISPUTE_OPENED],
        operation_id="incidents_dispute_open",
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def disputes(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        serializer = DisputeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        post = selectors.incident_evidence_by_reference(
            viewer=viewer, incident=incident, reference=data["evidence"]
        )
        dispute = services.dispute_open(
            post=post,
            incident=incident,
            actor=person(request.user),
            reason=data["reason"],
            note=data["note"],
        )
        return Response(
            DisputeMarkSerializer(dispute_mark(dispute, viewer)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Accept or reject a dispute of your report",
        description="Buyer keys (write scope) of the organization whose report the supplier "
        "disputes (its `dispute.id` in `GET .../posts/`): `accept` takes the report out of the "
        'incident (a "not a complaint" also teaches the classifier so); `reject` leaves it '
        "counted. Another organization's dispute is a 404. Deciding the same way twice "
        "changes nothing; the other decision afterwards is a 409.",
        request=ResolveSerializer,
        responses={200: DisputeMarkSerializer, 409: STATE_CONFLICT},
        examples=[examples.DISPUTE_DECISION, examples.DISPUTE_DECIDED],
        operation_id="incidents_dispute_decide",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"disputes/(?P<dispute_id>[0-9]+)/(?P<decision>accept|reject)",
        pagination_class=None,
        filter_backends=[],
    )
    def decide_dispute(
        self, request: Request, pk: str | None = None, dispute_id: str = "", decision: str = ""
    ) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dispute = get_object_or_404(
            Dispute.objects.decidable_by(viewer).filter(incident=incident), pk=dispute_id
        )
        decide = services.dispute_accept if decision == "accept" else services.dispute_reject
        dispute = decide(
            dispute=dispute, actor=person(request.user), note=serializer.validated_data["note"]
        )
        return Response(DisputeMarkSerializer(dispute_mark(dispute, viewer)).data)

    @extend_schema(
        summary="Export incidents as CSV",
        description="The same filters and ordering as the list, every matching incident, "
        "streamed. Cells that a spreadsheet would read as a formula (beginning with `=`, `+`, "
        "`-`, `@`, tab or carriage return) are prefixed with a single quote.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, examples=[examples.CSV])},
        parameters=[ORDERING],
        filters=True,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        incidents = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            incidents_csv(incidents.iterator(chunk_size=500), request_viewer(request)),
            content_type="text/csv",
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="incidents-{stamp}.csv"'
        return response
