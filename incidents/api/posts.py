"""The posts API: a buyer organization's reports (read and create, idempotently), the bulk ingest
of public posts, and the categories to report in."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.models import person
from suppliers.selectors import supplier_resolve
from supplierwatch.api.idempotency import HEADER, KEY_PATTERN, idempotent_run, request_hash
from supplierwatch.api.permissions import IsBuyer, request_viewer, with_defaults

from .. import selectors, services
from ..models import Category, Post
from . import examples
from .filters import ReportFilter
from .serializers import (
    CategorySerializer,
    IngestResultSerializer,
    PublicPostIngestSerializer,
    ReportCreateSerializer,
    ReportSerializer,
)


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
            422: OpenApiResponse(
                description="This key was used with a different request; or a value the schema "
                "allows but a rule refuses (an unknown supplier, vendor code or category, a time "
                "out of range): `fields` names it."
            ),
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

    def get_queryset(self) -> QuerySet[Post]:
        return selectors.organization_reports_with_incidents(viewer=request_viewer(self.request))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ReportCreateSerializer if self.action == "create" else ReportSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = person(request.user)
        method = request.method
        assert method is not None  # a request always has its method

        def run() -> tuple[int, dict[str, Any]]:
            serializer = ReportCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            slug, code = data.pop("supplier", None), data.pop("vendor_code", None)
            supplier = supplier_resolve(
                organization_id=request_viewer(request).organization_id,
                slug=slug,
                vendor_code=code,
            )
            category = data.pop("category", None)
            post = services.post_report(
                author=user,
                supplier=supplier,
                category=selectors.active_category(slug=category) if category else None,
                **data,
            )
            # As the list would show it, without fetching it again: a report is grouped by the
            # pipeline once this transaction commits, so it has no incident yet (`incident`
            # null), and its supplier, category and author are the ones just given.
            return status.HTTP_201_CREATED, ReportSerializer(post).data

        result = idempotent_run(
            user=user,
            key=request.headers.get(HEADER),
            fingerprint=request_hash(method=method, path=request.path, data=request.data),
            run=run,
        )
        response = Response(result.body, status=result.status)
        if result.status == status.HTTP_201_CREATED:
            response["Location"] = f"{request.path}{result.body['id']}/"
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


@extend_schema(
    summary="Ingest public posts in bulk",
    description="Buyer keys (write scope). Up to 1,000 posts from one feed (`source`: not "
    "the name of a feed this site polls itself, which is refused with 422); posts "
    "already known by (source, external_id) count as duplicates. Answered 202: the accepted "
    "posts are queued for matching, classifying and grouping. A row that cannot be used is "
    "listed in `rejected` with its index and the reason (the field at fault first), and the "
    "other rows are still ingested. A body above the size limit is refused with 413: send "
    "smaller batches.",
    request=PublicPostIngestSerializer,
    responses={202: IngestResultSerializer},
    examples=[examples.INGEST, examples.INGEST_RESULT],
)
class PublicPostIngestView(generics.GenericAPIView):
    permission_classes = with_defaults(IsBuyer)
    serializer_class = PublicPostIngestSerializer
    pagination_class = None
    filter_backends: list[type] = []

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.posts_ingest(
            source=serializer.validated_data["source"],
            rows=serializer.validated_data["posts"],
            from_outside=True,
        )
        body = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [{"index": index, "reason": reason} for index, reason in result.rejected],
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
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.active()
