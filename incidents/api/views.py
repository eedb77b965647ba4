"""The API of evidence and incidents. Each view validates, calls one service or selector, and
serialises; every object is fetched through `visible_to`, so another party's is a 404."""

from __future__ import annotations

from datetime import UTC

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.models import Organization, User
from suppliers.selectors import supplier_directory
from supplierwatch.api.idempotency import (
    HEADER,
    KEY_PATTERN,
    idempotent_run,
    request_hash,
)
from supplierwatch.api.pagination import ApiCursorPagination
from supplierwatch.api.permissions import IsBuyer, IsSupplierStaff, with_defaults
from supplierwatch.errors import ApplicationError

from .. import selectors, services
from ..models import Category, Incident, Post
from ..services.exports import incidents_csv
from . import examples
from .filters import IncidentFilter, ReportFilter, StrictOrderingFilter
from .serializers import (
    ActionsSerializer,
    AssignSerializer,
    CategorySerializer,
    EvidenceSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IngestResultSerializer,
    PublicPostIngestDocSerializer,
    PublicPostIngestSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    ResolveSerializer,
    RespondSerializer,
    ResponseSerializer,
    ScorecardSerializer,
)

ORDERING = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    enum=[
        f"{sign}{field}"
        for field in ("last_activity_at", "created_at", "updated_at")
        for sign in ("", "-")
    ],
    description="Sort order; `-` for descending. Default: `-last_activity_at`.",
)
SUPPLIER_ACTIONS = {"acknowledge", "investigate", "assign", "resolve", "actions"}
INGEST_FIELDS = ("external_id", "text", "published_at", "author_handle", "url")


def _party_ids(user: User) -> tuple[int | None, int | None]:
    membership = user.party
    if membership is None:
        return None, None
    return membership.organization_id, membership.supplier_id


class EvidencePagination(ApiCursorPagination):
    ordering = ("-published_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description="The incidents your key may see, newest activity first. Cursor-paginated: "
        "follow `next` until it is null. For a sync, pass `updated_since` and "
        "`ordering=last_activity_at`.",
        parameters=[ORDERING],
        examples=[examples.INCIDENT_LIST],
    ),
    retrieve=extend_schema(
        summary="Read an incident",
        description="Counters, timeline and the answers your key may read.",
        responses=IncidentDetailSerializer,
        examples=[examples.INCIDENT_DETAIL],
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["last_activity_at", "created_at", "updated_at"]
    ordering = "-last_activity_at"
    lookup_value_regex = r"[0-9]+"
    queryset = Incident.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incidents_for_api(user=self.request.user)

    def get_permissions(self) -> list:
        permissions = super().get_permissions()
        answering = self.action == "responses" and self.request.method == "POST"
        if self.action in SUPPLIER_ACTIONS or answering:
            permissions.append(IsSupplierStaff())
        return permissions

    def _incident(self, incident: Incident) -> dict:
        fresh = self.get_queryset().get(pk=incident.pk)
        return IncidentSerializer(fresh, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        incident = self.get_object()
        incident.api_timeline = selectors.incident_history(user=request.user, incident=incident)
        incident.api_responses = list(
            selectors.incident_answers(user=request.user, incident=incident)
        )
        serializer = IncidentDetailSerializer(incident, context=self.get_serializer_context())
        return Response(serializer.data)

    @extend_schema(
        summary="Acknowledge an incident",
        description="Supplier keys (write scope). Sets `acknowledged_at`; a new or reopened "
        "incident becomes acknowledged.",
        request=None,
        responses=IncidentSerializer,
        examples=[examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_acknowledge(incident=self.get_object(), actor=request.user)
        return Response(self._incident(incident))

    @extend_schema(
        summary="Start investigating an incident",
        description="Supplier keys (write scope).",
        request=None,
        responses=IncidentSerializer,
        examples=[examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def investigate(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_start_investigation(
            incident=self.get_object(), actor=request.user
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Assign an incident to a colleague",
        description="Supplier keys (write scope). `assignee` is the e-mail address of a person "
        "of your supplier; null unassigns.",
        request=AssignSerializer,
        responses=IncidentSerializer,
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
            # A colleague, never a key's service user.
            assignee = User.objects.filter(
                email__iexact=email,
                membership__supplier_id=incident.supplier_id,
                api_key__isnull=True,
                is_active=True,
            ).first()
            if assignee is None:
                raise ApplicationError(
                    "Assign the incident to a colleague at this supplier.", field="assignee"
                )
        incident = services.incident_assign(
            incident=incident, actor=request.user, assignee=assignee
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Resolve an incident",
        description="Supplier keys (write scope). The note is shown on the timeline.",
        request=ResolveSerializer,
        responses=IncidentSerializer,
        examples=[examples.RESOLVE, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_resolve(
            incident=self.get_object(), actor=request.user, note=serializer.validated_data["note"]
        )
        return Response(self._incident(incident))

    @extend_schema(
        summary="Record the 8D answer",
        description="Supplier keys (write scope): containment, root cause, corrective and "
        "preventive action, verification. Only the fields sent change.",
        request=ActionsSerializer,
        responses=IncidentSerializer,
        examples=[examples.ACTIONS, examples.INCIDENT],
    )
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: str | None = None) -> Response:
        serializer = ActionsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_record_actions(
            incident=self.get_object(), actor=request.user, **serializer.validated_data
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
        responses={201: ResponseSerializer},
        examples=[examples.RESPOND, examples.RESPONSE],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def responses(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            answers = selectors.incident_answers(user=request.user, incident=incident)
            return Response(ResponseSerializer(answers, many=True, context=context).data)
        serializer = RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = None
        slug = serializer.validated_data.get("organization")
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                # The service's words for an organization that did not report by name.
                raise ApplicationError(
                    "Private answers go only to organizations that reported this incident by name.",
                    field="organization",
                )
        answer = services.incident_respond(
            incident=incident,
            author=request.user,
            body=serializer.validated_data["body"],
            organization=organization,
        )
        answer = selectors.incident_answers(user=request.user, incident=incident).get(pk=answer.pk)
        return Response(
            ResponseSerializer(answer, context=context).data, status=status.HTTP_201_CREATED
        )

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
        posts = selectors.incident_evidence(user=request.user, incident=incident).select_related(
            "predicted_category", "label_category"
        )
        page = self.paginate_queryset(posts)
        serializer = EvidenceSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

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
            incidents_csv(incidents.iterator(chunk_size=500)), content_type="text/csv"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="incidents-{stamp}.csv"'
        return response


@extend_schema(
    summary="Scorecard of a supplier",
    description="Counts of the supplier's incidents that your key may see, by status, severity "
    "and category. Supplier keys read only their own supplier's.",
    responses=ScorecardSerializer,
    examples=[examples.SCORECARD],
)
class SupplierScorecardView(generics.GenericAPIView):
    serializer_class = ScorecardSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request, slug: str) -> Response:
        organization_id, supplier_id = _party_ids(request.user)
        suppliers = supplier_directory(organization_id=organization_id, supplier_id=supplier_id)
        supplier = get_object_or_404(suppliers, slug=slug)
        figures = selectors.supplier_scorecard(user=request.user, supplier=supplier)
        return Response(ScorecardSerializer({"supplier": supplier, **figures}).data)


@extend_schema_view(
    list=extend_schema(
        summary="List your organization's reports",
        description="Buyer keys. Newest first, cursor-paginated.",
        examples=[examples.REPORT_LIST],
    ),
    retrieve=extend_schema(
        summary="Read one of your organization's reports",
        description="Buyer keys.",
        examples=[examples.REPORT],
    ),
    create=extend_schema(
        summary="Report a quality problem",
        description="Buyer keys (write scope). Send an `Idempotency-Key` header (any unique "
        "string, e.g. your NCR number or a UUID) to retry safely: a retry with the same key and "
        "body creates nothing and gets the first answer again (with `Idempotent-Replayed: "
        "true`); the same key with another body is refused with 422. Keys are remembered for "
        "SW_IDEMPOTENCY_TTL_HOURS (24 h).",
        request=ReportCreateSerializer,
        responses={
            201: ReportSerializer,
            409: OpenApiResponse(description="A request with this key is still being answered."),
            422: OpenApiResponse(description="This key was used with a different request."),
        },
        parameters=[
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Makes retries safe: 1 to 255 visible ASCII characters, no spaces.",
                pattern=KEY_PATTERN,
            )
        ],
        examples=[examples.REPORT_CREATE, examples.REPORT],
    ),
)
class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = with_defaults(IsBuyer)
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    lookup_value_regex = r"[0-9]+"
    queryset = Post.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet:
        return selectors.organization_reports_with_incidents(user=self.request.user).select_related(
            "predicted_category"
        )

    def get_serializer_class(self):
        return ReportCreateSerializer if self.action == "create" else ReportSerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        def run() -> tuple[int, dict]:
            serializer = ReportCreateSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            post = services.post_report(author=request.user, **serializer.validated_data)
            created = self.get_queryset().get(pk=post.pk)
            return status.HTTP_201_CREATED, ReportSerializer(created).data

        result = idempotent_run(
            user=request.user,
            key=request.headers.get(HEADER),
            fingerprint=request_hash(method=request.method, path=request.path, data=request.data),
            run=run,
        )
        response = Response(result.body, status=result.status)
        if result.status == status.HTTP_201_CREATED:
            response["Location"] = f"{request.path}{result.body['id']}/"
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _usable_row(row: object) -> tuple[dict | None, str | None]:
    """(the row as the ingest service should read it, None), or (None, what makes it unusable).

    Strings only, without NUL (which the database refuses); `published_at` in UTC and within
    1970-2200, since ISO 8601 allows offsets and years that PostgreSQL does not.
    """
    if not isinstance(row, dict):
        return None, "expected an object"
    for key in INGEST_FIELDS:
        value = row.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            return None, f"{key}: expected a string"
        if "\x00" in value:
            return None, f"{key}: contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None, f"{key}: not valid Unicode text"
    published_at = (row.get("published_at") or "").strip()
    if published_at:
        try:
            parsed = parse_datetime(published_at)
        except ValueError:
            parsed = None
        if parsed is None:
            return None, "published_at: not an ISO 8601 date and time"
        try:
            parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except (OverflowError, ValueError):
            return None, "published_at: out of range"
        if not 1970 <= parsed.year <= 2200:
            return None, "published_at: out of range"
        row = {**row, "published_at": parsed.isoformat()}
    return row, None


@extend_schema(
    summary="Ingest public posts in bulk",
    description="Buyer keys (write scope). Up to 1,000 posts from one feed (`source`); posts "
    "already known by (source, external_id) count as duplicates. Answered 202: the accepted "
    "posts are queued for matching, classifying and grouping. A row that cannot be used is "
    "listed in `rejected` with its index and the reason, and the other rows are still "
    "ingested. A body above the size limit is refused with 413: send smaller batches.",
    request=PublicPostIngestDocSerializer,
    responses={202: IngestResultSerializer},
    examples=[examples.INGEST, examples.INGEST_RESULT],
)
class PublicPostIngestView(generics.GenericAPIView):
    permission_classes = with_defaults(IsBuyer)
    serializer_class = PublicPostIngestSerializer
    pagination_class = None
    filter_backends: list = []

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rejected: list[tuple[int, str]] = []
        usable: list[dict] = []
        positions: list[int] = []
        for index, row in enumerate(serializer.validated_data["posts"]):
            cleaned, problem = _usable_row(row)
            if cleaned is None:
                rejected.append((index, problem))
            else:
                usable.append(cleaned)
                positions.append(index)
        result = services.posts_ingest(source=serializer.validated_data["source"], rows=usable)
        rejected += [(positions[index], reason) for index, reason in result.rejected]
        body = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [{"index": index, "reason": reason} for index, reason in sorted(rejected)],
        }
        return Response(IngestResultSerializer(body).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    summary="List the categories",
    description="The quality taxonomy: use a category's slug in reports and filters.",
    responses=CategorySerializer(many=True),
    examples=[examples.CATEGORIES],
)
class CategoryListView(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.filter(is_active=True)
