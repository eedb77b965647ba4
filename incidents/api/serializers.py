"""What the API shows of evidence and incidents, to whom. Who sees which rows is decided by the
`visible_to` QuerySets; these serializers decide which fields of a visible row a viewer gets:
never a reporter's identity unless `Post.reveals_identity_to` says so."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suppliers.models import Membership
from supplierwatch.api import fields as strict

from ..models import Category, Incident, IncidentEvent, Post, Response, Severity
from ..selectors import event_public_data

SEVERITIES = [severity.name.lower() for severity in Severity]
REPORT_VISIBILITIES = [
    Post.Visibility.PRIVATE.value,
    Post.Visibility.ANONYMOUS.value,
    Post.Visibility.NAMED.value,
]


def viewer_membership(context: dict) -> Membership | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user.party if user is not None and user.is_authenticated else None


def is_supplier_view(context: dict) -> bool:
    """Supplier staff (and operators) see the supplier's internal side: assignees, answer authors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    membership = viewer_membership(context)
    return membership is not None and membership.is_supplier_staff


class SeverityField(serializers.ChoiceField):
    """Severity by name (low, medium, high, critical); stored as 1..4."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SEVERITIES, **kwargs)

    def to_representation(self, value: int) -> str:
        return Severity(value).name.lower()

    def to_internal_value(self, data: Any) -> int:
        return Severity[super().to_internal_value(data).upper()].value


class SupplierRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class OrganizationRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "description"]


# --- incidents -----------------------------------------------------------------------------------


class CountersSerializer(serializers.Serializer):
    posts = serializers.IntegerField(source="post_count", help_text="Evidence everyone may count.")
    reporters = serializers.IntegerField(source="reporter_count")
    organizations = serializers.IntegerField(
        source="organization_count", help_text="Distinct buyer organizations that reported it."
    )
    public_posts = serializers.IntegerField(source="public_post_count")
    own_posts = serializers.SerializerMethodField(
        help_text="Your organization's reports in it, private ones included (buyers only)."
    )

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_own_posts(self, incident: Any) -> int | None:
        return getattr(incident, "own_post_count", None)


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    severity = SeverityField()
    category = CategoryRefSerializer(allow_null=True)
    supplier = SupplierRefSerializer()
    vendor_code = serializers.SerializerMethodField(
        help_text="Your organization's vendor code for the supplier (buyers only)."
    )
    sku = serializers.CharField()
    lot = serializers.CharField()
    counters = CountersSerializer(source="*")
    first_seen_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    acknowledge_due_at = serializers.DateTimeField(allow_null=True)
    resolve_due_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    reopened_count = serializers.IntegerField()
    assignee = serializers.SerializerMethodField(
        help_text="The supplier's colleague in charge (the supplier's own keys only)."
    )
    containment = serializers.CharField()
    root_cause = serializers.CharField()
    corrective_action = serializers.CharField()
    preventive_action = serializers.CharField()
    verification = serializers.CharField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_vendor_code(self, incident: Any) -> str | None:
        return getattr(incident, "vendor_code", None)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, incident: Any) -> dict | None:
        if incident.assignee is None or not is_supplier_view(self.context):
            return None
        return PersonSerializer(incident.assignee).data


class TimelineEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentEvent.Kind.choices)
    created_at = serializers.DateTimeField()
    data = serializers.SerializerMethodField(help_text="What changed; its keys depend on `kind`.")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, event: IncidentEvent) -> dict:
        return event_public_data(event, supplier_view=is_supplier_view(self.context))


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Response.Visibility.choices)
    organization = OrganizationRefSerializer(
        allow_null=True, help_text="The one organization a private answer went to."
    )
    author = serializers.SerializerMethodField(help_text="The supplier's own keys only.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, response: Response) -> dict | None:
        if response.author is None or not is_supplier_view(self.context):
            return None
        return PersonSerializer(response.author).data


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its timeline and the answers this viewer may read (set by the view)."""

    timeline = TimelineEntrySerializer(many=True, source="api_timeline")
    responses = ResponseSerializer(many=True, source="api_responses")


class RespondSerializer(serializers.Serializer):
    body = strict.CharField(max_length=20_000)
    organization = strict.SlugField(
        required=False,
        allow_null=True,
        help_text="Answer privately to this organization (one that reported by name); "
        "omit to answer every viewer.",
    )


class AssignSerializer(serializers.Serializer):
    assignee = strict.EmailField(
        allow_null=True, help_text="A colleague's e-mail address; null unassigns."
    )


class ResolveSerializer(serializers.Serializer):
    note = strict.CharField(required=False, allow_blank=True, default="", max_length=5_000)


class ActionsSerializer(serializers.Serializer):
    """The supplier's 8D answer; only the fields sent are changed."""

    containment = strict.CharField(required=False, allow_blank=True, max_length=20_000)
    root_cause = strict.CharField(required=False, allow_blank=True, max_length=20_000)
    corrective_action = strict.CharField(required=False, allow_blank=True, max_length=20_000)
    preventive_action = strict.CharField(required=False, allow_blank=True, max_length=20_000)
    verification = strict.CharField(required=False, allow_blank=True, max_length=20_000)


class ScorecardCategorySerializer(serializers.Serializer):
    category = serializers.SlugField(allow_null=True)
    name = serializers.CharField()
    incidents = serializers.IntegerField()
    open = serializers.IntegerField()


class ScorecardSerializer(serializers.Serializer):
    supplier = SupplierRefSerializer()
    total = serializers.IntegerField(help_text="Incidents you may see.")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open and past their SLA.")
    posts = serializers.IntegerField(help_text="Evidence everyone may count, over all incidents.")
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())
    by_category = ScorecardCategorySerializer(many=True)


# --- evidence ------------------------------------------------------------------------------------


class ReporterSerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    author = PersonSerializer(allow_null=True)
    po_number = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    """One post behind an incident. `reporter` (organization, author and PO number, which names
    the customer to a supplier) is filled only for viewers the post's visibility reveals it to."""

    id = serializers.IntegerField()
    kind = serializers.SerializerMethodField()
    source = serializers.CharField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()
    visibility = serializers.ChoiceField(choices=Post.Visibility.choices)
    category = serializers.SerializerMethodField()
    severity = SeverityField(allow_null=True)
    sku = serializers.CharField()
    lot = serializers.CharField()
    quantity_affected = serializers.IntegerField(allow_null=True)
    author_handle = serializers.CharField(help_text="Public posts only.")
    url = serializers.CharField(help_text="Public posts only.")
    reporter = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=["buyer_report", "public_post"]))
    def get_kind(self, post: Post) -> str:
        return "buyer_report" if post.is_buyer_post else "public_post"

    @extend_schema_field(serializers.SlugField(allow_null=True))
    def get_category(self, post: Post) -> str | None:
        category = post.category or post.label_category or post.predicted_category
        return category.slug if category else None

    @extend_schema_field(ReporterSerializer(allow_null=True))
    def get_reporter(self, post: Post) -> dict | None:
        request = self.context.get("request")
        if not post.is_buyer_post or not post.reveals_identity_to(getattr(request, "user", None)):
            return None
        return {
            "organization": OrganizationRefSerializer(post.organization).data,
            "author": PersonSerializer(post.author).data if post.author else None,
            "po_number": post.po_number,
        }


# --- the organization's own reports ---------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    """A report of the caller's own organization, in full."""

    id = serializers.IntegerField()
    supplier = SupplierRefSerializer()
    text = serializers.CharField()
    category = serializers.SerializerMethodField()
    severity = SeverityField(allow_null=True)
    visibility = serializers.ChoiceField(choices=REPORT_VISIBILITIES)
    po_number = serializers.CharField()
    sku = serializers.CharField()
    lot = serializers.CharField()
    quantity_affected = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(
        choices=Post.Status.choices, help_text="The pipeline's processing of the report."
    )
    incident = serializers.SerializerMethodField(help_text="Once grouped: the incident's id.")
    author = PersonSerializer(allow_null=True)

    @extend_schema_field(serializers.SlugField(allow_null=True))
    def get_category(self, post: Post) -> str | None:
        category = post.category or post.predicted_category
        return category.slug if category else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_incident(self, post: Post) -> int | None:
        joined = getattr(post, "joined", None)
        return joined[0].incident_id if joined else None


class ReportCreateSerializer(serializers.Serializer):
    """A buyer's report. Name the supplier by `supplier` (its slug) or by your `vendor_code`."""

    supplier = strict.SlugField(required=False, help_text="The supplier's slug.")
    vendor_code = strict.CharField(
        required=False, max_length=64, help_text="Or your organization's vendor code for it."
    )
    text = strict.CharField(max_length=10_000)
    category = strict.SlugField(required=False, allow_null=True)
    severity = SeverityField(required=False, help_text="Default: medium.")
    visibility = serializers.ChoiceField(
        choices=REPORT_VISIBILITIES,
        required=False,
        default=Post.Visibility.ANONYMOUS.value,
        help_text="private: your organization only; anonymous (default): counted for everyone, "
        "shown without your identity; named: the supplier may see who reported it.",
    )
    po_number = strict.CharField(required=False, allow_blank=True, default="", max_length=64)
    sku = strict.CharField(required=False, allow_blank=True, default="", max_length=64)
    lot = strict.CharField(required=False, allow_blank=True, default="", max_length=64)
    quantity_affected = strict.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647
    )
    published_at = serializers.DateTimeField(
        required=False, help_text="When the problem was found; defaults to now."
    )

    def validate(self, attrs: dict) -> dict:
        from suppliers.models import Supplier, VendorCode

        membership = viewer_membership(self.context)
        slug, code = attrs.pop("supplier", None), attrs.pop("vendor_code", None)
        if (slug is None) == (code is None):
            raise serializers.ValidationError(
                {"supplier": ["Name the supplier by `supplier` (slug) or by `vendor_code`."]}
            )
        if slug is not None:
            attrs["supplier"] = Supplier.objects.filter(slug=slug).first()
            if attrs["supplier"] is None:
                raise serializers.ValidationError({"supplier": ["No supplier has this slug."]})
        else:
            link = (
                VendorCode.objects.filter(organization_id=membership.organization_id, code=code)
                .select_related("supplier")
                .first()
                if membership is not None
                else None
            )
            if link is None:
                raise serializers.ValidationError(
                    {"vendor_code": ["Your organization has no supplier with this vendor code."]}
                )
            attrs["supplier"] = link.supplier
        category = attrs.get("category")
        if category is not None:
            attrs["category"] = Category.objects.filter(slug=category, is_active=True).first()
            if attrs["category"] is None:
                raise serializers.ValidationError({"category": ["No such category."]})
        return attrs


# --- public posts ------------------------------------------------------------------------------


class PublicPostRowSerializer(serializers.Serializer):
    """One public post (documentation of a row; rows are checked one by one, see the view)."""

    external_id = strict.CharField(max_length=200, help_text="Unique within the source.")
    text = strict.CharField(max_length=10_000)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    author_handle = strict.CharField(required=False, allow_blank=True, max_length=100)
    url = strict.URLField(required=False, allow_blank=True, max_length=500)


class PublicPostIngestSerializer(serializers.Serializer):
    source = strict.RegexField(
        r"^[a-z0-9][a-z0-9_.-]{0,49}$",
        help_text="The feed's name, e.g. `twitter`; (source, external_id) identifies a post.",
    )
    posts = serializers.ListField(
        child=serializers.JSONField(), min_length=1, max_length=1000, help_text="Up to 1,000."
    )

    def validate_source(self, value: str) -> str:
        if value == Post.BUYER_SOURCE:
            raise serializers.ValidationError("`buyer` is reserved for buyers' reports.")
        return value


class PublicPostIngestDocSerializer(PublicPostIngestSerializer):
    posts = PublicPostRowSerializer(
        many=True, min_length=1, max_length=1000, help_text="Up to 1,000."
    )


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the request, from 0.")
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="New posts, queued for processing.")
    duplicates = serializers.IntegerField(help_text="Already known, or repeated in the request.")
    rejected = RejectionSerializer(many=True)
