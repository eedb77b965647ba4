"""The API of suppliers: the directory, vendor codes upserted from an ERP, and aliases.

Suppliers are global; a buyer organization sees all of them with its own vendor codes, a
supplier's key sees only its own supplier. (No import of incidents: suppliers never depends on it.)
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supplierwatch.api import fields as strict
from supplierwatch.api.output import OutputSerializer
from supplierwatch.api.permissions import IsBuyer, request_viewer
from supplierwatch.inputs import InputError

from . import services
from .inputs import (
    ADDABLE_ALIAS_KINDS,
    ALIAS_MAX,
    CODE_MAX,
    NAME_MAX,
    WEBSITE_MAX,
    clean_search,
)
from .models import Organization, Supplier, SupplierAlias, person
from .selectors import supplier_directory

MAX_ROWS = 1000


class AliasSerializer(OutputSerializer):
    kind = serializers.ChoiceField(choices=SupplierAlias.Kind.choices)
    text = serializers.CharField(max_length=ALIAS_MAX)
    state = serializers.ChoiceField(
        choices=SupplierAlias.State.choices,
        help_text="active: public posts are matched by it. proposed: your organization's "
        "proposal, waiting for an operator; until then (and if rejected) it helps only your "
        "organization's own search and forms.",
    )


class AliasCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=list(ADDABLE_ALIAS_KINDS),
        help_text="handle: @name; hashtag: #tag; domain: example.com; alias and product: words.",
    )
    text = strict.CharField(max_length=ALIAS_MAX)


class SupplierSerializer(OutputSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    website = serializers.CharField()
    aliases = AliasSerializer(
        many=True,
        source="known_aliases",
        help_text="The active aliases, and your organization's own proposals.",
    )
    vendor_codes = serializers.SerializerMethodField(
        help_text="Your organization's vendor codes for this supplier (buyer keys only)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_vendor_codes(self, supplier: Supplier) -> list[str]:
        return [link.code for link in getattr(supplier, "own_vendor_codes", [])]


class VendorCodeRowSerializer(serializers.Serializer):
    vendor_code = strict.CharField(max_length=CODE_MAX, help_text="Your ERP's code.")
    name = strict.CharField(max_length=NAME_MAX, help_text="The supplier's name.")
    website = strict.HttpURLField(
        required=False,
        allow_blank=True,
        max_length=WEBSITE_MAX,
        help_text="Used only for new suppliers.",
    )


class VendorCodeUpsertSerializer(serializers.Serializer):
    suppliers = serializers.ListField(
        child=VendorCodeRowSerializer(),
        min_length=1,
        max_length=MAX_ROWS,
        help_text="Up to 1,000 rows.",
    )


class VendorCodeResultRowSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    vendor_code = serializers.CharField()
    supplier = serializers.DictField(child=serializers.CharField(), help_text="slug and name")
    outcome = serializers.ChoiceField(choices=["created", "linked", "relinked", "unchanged"])


class RejectedRowSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    reason = serializers.CharField()


class VendorCodeUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="New suppliers, linked to their code.")
    linked = serializers.IntegerField(help_text="Existing suppliers, newly linked.")
    relinked = serializers.IntegerField(help_text="Codes moved to another supplier.")
    unchanged = serializers.IntegerField()
    rejected = RejectedRowSerializer(many=True)
    results = VendorCodeResultRowSerializer(many=True)


_SUPPLIER = {
    "slug": "initech",
    "name": "Initech Components",
    "website": "https://initech.example/",
    "aliases": [
        {"kind": "name", "text": "Initech Components", "state": "active"},
        {"kind": "handle", "text": "@InitechParts", "state": "active"},
    ],
    "vendor_codes": ["V01001"],
}


@extend_schema_view(
    list=extend_schema(
        summary="List and search suppliers",
        description="Buyer keys see every supplier, with their own vendor codes; supplier keys "
        "see their own supplier. `search` matches names, aliases and your vendor codes.",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Name, alias or code.")
        ],
        examples=[OpenApiExample("Suppliers", value=_SUPPLIER, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a supplier",
        examples=[OpenApiExample("A supplier", value=_SUPPLIER, response_only=True)],
    ),
)
class SupplierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SupplierSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    ordering = "name"
    filter_backends: list = []
    queryset = Supplier.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[Supplier]:
        viewer = request_viewer(self.request)
        query = self.request.query_params.get("search", "") if self.action == "list" else ""
        try:
            query = clean_search(query)
        except InputError as exc:
            # A query parameter the rule refuses is a 400, as the incident filters answer.
            raise serializers.ValidationError({"search": [exc.message]}) from None
        return supplier_directory(
            organization_id=viewer.organization_id, supplier_id=viewer.supplier_id, query=query
        )

    def get_permissions(self) -> list:
        permissions = list(super().get_permissions())
        if self.action == "vendor_codes":
            permissions.append(IsBuyer())
        return permissions

    @extend_schema(
        summary="Upsert suppliers by your vendor codes",
        description="Buyer keys (write scope). For each row, the supplier is found by its name, "
        "or by a name or alias of exactly one supplier (case-insensitively), and created only "
        "when none matches: suppliers are shared by every organization and never duplicated, and "
        "an existing supplier's details are left as they are. Your code is then linked to it "
        "(or moved to it). Rows that cannot be written are listed in `rejected`.",
        request=VendorCodeUpsertSerializer,
        responses=VendorCodeUpsertResultSerializer,
        examples=[
            OpenApiExample(
                "Two rows",
                value={
                    "suppliers": [
                        {"vendor_code": "V01001", "name": "Initech Components"},
                        {
                            "vendor_code": "V09001",
                            "name": "Nakatomi Fasteners",
                            "website": "https://nakatomi.example/",
                        },
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Result",
                value={
                    "created": 1,
                    "linked": 0,
                    "relinked": 0,
                    "unchanged": 1,
                    "rejected": [],
                    "results": [
                        {
                            "index": 0,
                            "vendor_code": "V01001",
                            "supplier": {"slug": "initech", "name": "Initech Components"},
                            "outcome": "unchanged",
                        },
                        {
                            "index": 1,
                            "vendor_code": "V09001",
                            "supplier": {
                                "slug": "nakatomi-fasteners",
                                "name": "Nakatomi Fasteners",
                            },
                            "outcome": "created",
                        },
                    ],
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=False, methods=["post"], url_path="vendor-codes", pagination_class=None)
    def vendor_codes(self, request: Request) -> Response:
        serializer = VendorCodeUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = [
            {"code": row["vendor_code"], "name": row["name"], "website": row.get("website", "")}
            for row in serializer.validated_data["suppliers"]
        ]
        organization = get_object_or_404(Organization, pk=request_viewer(request).organization_id)
        result = services.vendor_codes_upsert(organization=organization, rows=rows)
        body = {
            **{
                outcome: result.count(outcome)
                for outcome in ("created", "linked", "relinked", "unchanged")
            },
            "rejected": [{"index": e.index, "reason": e.message} for e in result.rejected],
            "results": [
                {
                    "index": item.index,
                    "vendor_code": item.code,
                    "supplier": {"slug": item.supplier.slug, "name": item.supplier.name},
                    "outcome": item.outcome,
                }
                for item in result.outcomes
            ],
        }
        return Response(VendorCodeUpsertResultSerializer(body).data)

    @extend_schema(
        methods=["GET"],
        summary="List a supplier's aliases",
        description="The names, @handles, #hashtags, domains and product names that recognise "
        "the supplier in public posts (`active`), and your organization's own proposals.",
        responses=AliasSerializer(many=True),
        examples=[OpenApiExample("Aliases", value=_SUPPLIER["aliases"], response_only=True)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an alias to a supplier",
        description="Write scope. A supplier's keys add to their own supplier, and the alias is "
        "`active` at once. A buyer's keys propose aliases for suppliers they have a vendor code "
        "for: the alias is `proposed`, helps your own search and forms, and matches public posts "
        "only once an operator approves it. An alias that would match everyday text (fewer than "
        "3 letters or digits, only the commonest English words, a hashtag of an everyday word "
        "such as #fail) or that already names another supplier is refused (422, naming `text`). "
        "Answered 201 when added, 200 when it was already there (with its state).",
        request=AliasCreateSerializer,
        responses={201: AliasSerializer, 200: AliasSerializer},
        examples=[
            OpenApiExample(
                "A handle", value={"kind": "handle", "text": "@InitechCare"}, request_only=True
            ),
            OpenApiExample(
                "The supplier's own alias",
                value={"kind": "handle", "text": "@InitechCare", "state": "active"},
                response_only=True,
                status_codes=["200", "201"],
            ),
            OpenApiExample(
                "A buyer's proposal",
                value={"kind": "hashtag", "text": "#InitechRecall", "state": "proposed"},
                response_only=True,
                status_codes=["200", "201"],
            ),
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def aliases(self, request: Request, slug: str | None = None) -> Response:
        supplier = self.get_object()
        if request.method == "GET":
            return Response(AliasSerializer(supplier.known_aliases, many=True).data)
        serializer = AliasCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alias, created = services.supplier_alias_add(
            actor=person(request.user), supplier=supplier, **serializer.validated_data
        )
        return Response(
            AliasSerializer(alias).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
