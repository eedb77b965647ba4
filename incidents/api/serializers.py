"""The API's JSON of evidence and incidents. Who sees which rows is decided by the `visible_to`
QuerySets, and what a viewer sees of a row by the presenters (incidents.presenters); these
serializers only turn the presenters' views into JSON and describe it in the schema. Request
serializers check the shape of input (types, lengths); what a value may be is decided by the
services' input rules (incidents.inputs)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supplierwatch import inputs as common_inputs
from supplierwatch.api import fields as strict
from supplierwatch.api.output import OutputSerializer

from .. import inputs
from ..models import Category, Discipline, Incident, IncidentEvent, Post, Response, Severity
from ..presenters import person_view

SEVERITIES = [severity.slug for severity in Severity]
REPORT_VISIBILITIES = list(inputs.REPORT_VISIBILITIES)


class SeverityField(serializers.ChoiceField):
    """Severity by name (low, medium, high, critical); stored as 1..4."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SEVERITIES, **kwargs)

    # The stubs type ChoiceField's value as the choice (str); this one's is the stored number.
    def to_representation(self, value: int) -> str:  # type: ignore[override]
        return Severity(value).slug

    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        return Severity.from_slug(super().to_internal_value(data)).value


class SupplierRefSerializer(OutputSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategoryRefSerializer(OutputSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PersonSerializer(OutputSerializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class OrganizationRefSerializer(OutputSerializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "description"]


# --- incidents -----------------------------------------------------------------------------------


class CountersSerializer(OutputSerializer):
    """presenters.Counters: sums for everyone; a distinct count only over reporters your key
    knows, or only over reporters hidden from it (null: not for your key)."""

    posts = serializers.IntegerField(
        help_text="Evidence everyone may count: named and anonymous reports and public posts."
    )
    public_posts = serializers.IntegerField()
    public_authors = serializers.IntegerField(help_text="Distinct authors of the public posts.")
    named_reports = serializers.IntegerField()
    anonymous_reports = serializers.IntegerField()
    named_organizations = serializers.IntegerField(
        allow_null=True,
        help_text="Distinct organizations that reported by name (the supplier's keys).",
    )
    other_organizations = serializers.IntegerField(
        allow_null=True,
        help_text="Distinct buyer organizations other than yours that reported it, by name or "
        "anonymously (buyers' keys).",
    )
    own_posts = serializers.IntegerField(
        allow_null=True,
        help_text="Your organization's reports in it, private ones included (buyers' keys).",
    )


class DisciplineSerializer(OutputSerializer):
    """One discipline of the 8D (presenters.DisciplineView)."""

    discipline = serializers.ChoiceField(choices=Discipline.choices)
    # A declared field: the metaclass moves it out of the class, so it never hides `.label`.
    label = serializers.CharField()  # type: ignore[assignment]
    text = serializers.CharField(help_text="Empty until the supplier records it.")
    owner = PersonSerializer(
        allow_null=True, help_text="The colleague who owns it (the supplier's own keys only)."
    )
    owned = serializers.BooleanField(help_text="Whether a colleague of the supplier owns it.")
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField(help_text="Not done and past its due date.")


class IncidentSerializer(OutputSerializer):
    """An incident (presenters.IncidentView) as the API and the webhooks show it."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    severity = SeverityField()
    category = CategoryRefSerializer(allow_null=True)
    supplier = SupplierRefSerializer()
    vendor_code = serializers.CharField(
        allow_null=True, help_text="Your organization's vendor code for the supplier (buyers only)."
    )
    sku = serializers.CharField()
    lot = serializers.CharField()
    counters = CountersSerializer()
    first_seen_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    acknowledge_due_at = serializers.DateTimeField(allow_null=True)
    resolve_due_at = serializers.DateTimeField(allow_null=True)
    waiting_on_buyer = serializers.BooleanField(
        help_text="The supplier asked the reporting buyers a question: the SLA clocks are paused "
        "until one of them replies, and the due times then move on by the time they stood still."
    )
    sla_paused_at = serializers.DateTimeField(
        allow_null=True, help_text="Since when the SLA clocks are paused (null: running)."
    )
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    reopened_count = serializers.IntegerField()
    seconds_to_first_answer = serializers.IntegerField(
        allow_null=True,
        help_text="How long the first answer took, from when the SLA clock started (the first "
        "whole hour at or after the incident opened or reopened); null until it is given.",
    )
    seconds_to_resolution = serializers.IntegerField(
        allow_null=True,
        help_text="How long the resolution took from when the SLA clock started; null until "
        "it is resolved.",
    )
    assignee = PersonSerializer(
        allow_null=True,
        help_text="The supplier's colleague in charge (the supplier's own keys only).",
    )
    eight_d = DisciplineSerializer(
        many=True, help_text="The eight disciplines of the supplier's 8D, D1 to D8, in order."
    )


class TimelineEntrySerializer(OutputSerializer):
    """{"kind", "created_at", "data"}: data is presenters.event_data, its keys depend on `kind`."""

    kind = serializers.ChoiceField(choices=IncidentEvent.Kind.choices)
    created_at = serializers.DateTimeField()
    # A declared field: the metaclass moves it out of the class, so it never hides `.data`.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="What changed; its keys depend on `kind`."
    )


class ResponseSerializer(OutputSerializer):
    """An answer (presenters.AnswerView)."""

    id = serializers.IntegerField()
    body = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Response.Visibility.choices)
    organization = OrganizationRefSerializer(
        allow_null=True, help_text="The one organization a private answer went to."
    )
    author = PersonSerializer(allow_null=True, help_text="The supplier's own keys only.")
    created_at = serializers.DateTimeField()
    waits_for_buyer = serializers.BooleanField(
        help_text="The answer asks the buyers a question (the SLA clocks paused with it)."
    )


class ReplySerializer(OutputSerializer):
    """A reporting organization's reply to the supplier (presenters.ReplyView)."""

    id = serializers.IntegerField()
    body = serializers.CharField()
    organization = OrganizationRefSerializer(
        allow_null=True,
        help_text="Who replied: to the supplier, only an organization that reported by name.",
    )
    author = PersonSerializer(allow_null=True, help_text="Its own organization's keys only.")
    created_at = serializers.DateTimeField()
    is_own = serializers.BooleanField(help_text="Your organization wrote it.")


class ReplyInputSerializer(serializers.Serializer):
    body = strict.CharField(max_length=inputs.ANSWER_MAX)


class RejectSerializer(serializers.Serializer):
    reason = strict.CharField(
        max_length=inputs.NOTE_MAX, help_text="Why the problem is not solved (required)."
    )


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its timeline and the answers this viewer may read (set by the view)."""

    timeline = TimelineEntrySerializer(many=True)
    responses = ResponseSerializer(many=True)


class RespondSerializer(serializers.Serializer):
    body = strict.CharField(max_length=inputs.ANSWER_MAX)
    organization = strict.SlugField(
        required=False,
        allow_null=True,
        help_text="Answer privately to this organization (one that reported by name); "
        "omit to answer every viewer.",
    )
    waits_for_buyer = strict.BooleanField(
        required=False,
        default=False,
        help_text="The answer asks the buyers a question: the SLA clocks pause until a "
        "reporting organization replies.",
    )


class AssignSerializer(serializers.Serializer):
    assignee = strict.EmailField(
        allow_null=True, help_text="A colleague's e-mail address; null unassigns."
    )


class ResolveSerializer(serializers.Serializer):
    note = strict.CharField(
        required=False, allow_blank=True, default="", max_length=inputs.NOTE_MAX
    )


class EightDSerializer(serializers.Serializer):
    """One discipline of the 8D; only the fields sent change."""

    discipline = serializers.ChoiceField(choices=Discipline.choices)
    text = strict.CharField(required=False, allow_blank=True, max_length=inputs.ANSWER_MAX)
    owner = strict.EmailField(
        required=False,
        allow_null=True,
        help_text="A colleague's e-mail address (a responder or admin); null: nobody.",
    )
    due_on = strict.IsoDateField(required=False, allow_null=True)
    done_on = strict.IsoDateField(
        required=False, allow_null=True, help_text="Not after today; null: not done."
    )


# --- evidence ------------------------------------------------------------------------------------


class ReporterSerializer(OutputSerializer):
    organization = OrganizationRefSerializer()
    author = PersonSerializer(allow_null=True)
    po_number = serializers.CharField()


class DisputeMarkSerializer(OutputSerializer):
    """The supplier's dispute of a piece of evidence (presenters.DisputeMark)."""

    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=inputs.DISPUTE_REASONS)
    status = serializers.ChoiceField(choices=["open", "accepted", "rejected"])
    note = serializers.CharField(
        help_text="The supplier's note: for the supplier and whoever decides; empty for others."
    )


class EvidenceSerializer(OutputSerializer):
    """One post behind an incident (presenters.EvidenceView). `reporter` (organization, author and
    PO number, which names the customer to a supplier) is filled only for viewers the post's
    visibility reveals it to."""

    id = serializers.IntegerField(
        allow_null=True,
        help_text="Null for a report whose reporter you may not know: ids are given in "
        "sequence, and would order it against named reports.",
    )
    kind = serializers.ChoiceField(choices=["buyer_report", "public_post"])
    # A declared field, like `data` above: it never hides Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    text = serializers.CharField()
    published_at = serializers.DateTimeField()
    visibility = serializers.ChoiceField(choices=Post.Visibility.choices)
    category = serializers.SlugField(source="category.slug", allow_null=True)
    severity = SeverityField(allow_null=True)
    sku = serializers.CharField()
    lot = serializers.CharField()
    quantity_affected = serializers.IntegerField(allow_null=True)
    author_handle = serializers.CharField(help_text="Public posts only.")
    url = serializers.CharField(help_text="Public posts only; http(s) links only.")
    reporter = ReporterSerializer(allow_null=True)
    dispute = DisputeMarkSerializer(
        allow_null=True,
        help_text="Set while the supplier disputes it and once decided: open and rejected "
        "disputes leave it counted; an accepted one takes it out.",
    )
    reference = serializers.CharField(
        help_text="Supplier keys only: how `POST .../disputes/` names this evidence (an id "
        "would order anonymous reports). Empty for other keys."
    )


class DisputeInputSerializer(serializers.Serializer):
    evidence = strict.CharField(max_length=64, help_text="The evidence's `reference`.")
    reason = serializers.ChoiceField(choices=inputs.DISPUTE_REASONS)
    note = strict.CharField(
        required=False, allow_blank=True, default="", max_length=inputs.NOTE_MAX
    )


class MergeInputSerializer(serializers.Serializer):
    target = strict.IntegerField(
        min_value=1,
        max_value=common_inputs.ID_MAX,
        help_text="The id of the incident of the same supplier to merge this one into.",
    )


class SplitInputSerializer(serializers.Serializer):
    evidence = serializers.ListField(
        child=strict.CharField(max_length=64),
        min_length=1,
        max_length=1000,
        help_text="The `reference`s (from `GET .../posts/`) of the evidence to move into a new "
        "incident; some evidence must stay.",
    )


class MergedPointerSerializer(serializers.Serializer):
    """What the address of a merged incident answers (with a 301 to its target)."""

    detail = serializers.CharField()
    merged_into = serializers.IntegerField(help_text="The incident it was merged into.")
    api_url = serializers.URLField(help_text="That incident's address (also in `Location`).")


# --- the organization's own reports ---------------------------------------------------------------


class ReportSerializer(OutputSerializer):
    """A report of the caller's own organization, in full."""

    id = serializers.IntegerField()
    supplier = SupplierRefSerializer()
    text = serializers.CharField()
    category = serializers.SlugField(source="shown_category.slug", allow_null=True)
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
    author = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_incident(self, post: Post) -> int | None:
        joined = getattr(post, "joined", None)
        return joined[0].incident_id if joined else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, post: Post) -> dict[str, Any] | None:
        author = person_view(post.author)
        return PersonSerializer(author).data if author else None


class ReportCreateSerializer(serializers.Serializer):
    """A buyer's report. Name the supplier by `supplier` (its slug) or by your `vendor_code`; the
    view resolves it (suppliers.selectors.supplier_resolve) and the service checks the rest."""

    supplier = strict.SlugField(required=False, help_text="The supplier's slug.")
    vendor_code = strict.CharField(
        required=False,
        max_length=inputs.CODE_MAX,
        help_text="Or your organization's vendor code for it.",
    )
    text = strict.CharField(max_length=inputs.TEXT_MAX)
    category = strict.SlugField(required=False, allow_null=True)
    severity = SeverityField(required=False, default=Severity.MEDIUM, help_text="Default: medium.")
    visibility = serializers.ChoiceField(
        choices=REPORT_VISIBILITIES,
        required=False,
        default=Post.Visibility.ANONYMOUS.value,
        help_text="private: your organization only; anonymous (default): counted for everyone, "
        "shown without your identity; named: the supplier may see who reported it.",
    )
    po_number = strict.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=inputs.CODE_MAX,
        help_text="Shown only to your organization (and to the supplier on a named report); "
        f"where `text` repeats it, it is stored as `{inputs.PO_PLACEHOLDER}`.",
    )
    sku = strict.CharField(required=False, allow_blank=True, default="", max_length=inputs.CODE_MAX)
    lot = strict.CharField(required=False, allow_blank=True, default="", max_length=inputs.CODE_MAX)
    quantity_affected = strict.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=inputs.QUANTITY_MAX
    )
    published_at = strict.IsoDateTimeField(
        required=False,
        help_text=f"When the problem was found, from {common_inputs.FIRST_YEAR} to "
        f"{common_inputs.LAST_YEAR} (any offset; stored in UTC); defaults to now.",
    )


# --- public posts ------------------------------------------------------------------------------


# One row of a bulk ingest. Every row is checked on its own by the service's input rule
# (incidents.inputs.clean_public_post), and a row that is not such an object is reported in
# `rejected` rather than refusing the whole batch, so the schema accepts any item.
PUBLIC_POST_ROW = {
    "type": "object",
    "properties": {
        "external_id": {
            "type": "string",
            "maxLength": inputs.EXTERNAL_ID_MAX,
            "description": "Unique within the source.",
        },
        "text": {"type": "string", "maxLength": inputs.TEXT_MAX},
        "published_at": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "ISO 8601; any offset, stored in UTC. Default: when it is stored.",
        },
        "author_handle": {"type": "string", "maxLength": inputs.HANDLE_MAX},
        "url": {"type": "string", "maxLength": inputs.URL_MAX, "description": "http(s) only."},
    },
    "required": ["external_id", "text"],
}


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": 1000,
        "items": {"anyOf": [PUBLIC_POST_ROW, {}]},
        "description": "Up to 1,000 posts; a row that cannot be stored is listed in `rejected`.",
    }
)
class PublicPostRowsField(serializers.ListField):
    child = serializers.JSONField(allow_null=True)


class PublicPostIngestSerializer(serializers.Serializer):
    # The shape of a feed's name; the service refuses the one name reserved for buyers (422).
    # A declared field: it never hides Field.source (see EvidenceSerializer).
    source = strict.RegexField(  # type: ignore[assignment]
        inputs.SOURCE_PATTERN,
        help_text="The feed's name, e.g. `twitter`; (source, external_id) identifies a post. "
        f"`{inputs.BUYER_SOURCE}` is reserved for buyers' reports.",
    )
    posts = PublicPostRowsField(min_length=1, max_length=1000)


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the request, from 0.")
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="New posts, queued for processing.")
    duplicates = serializers.IntegerField(help_text="Already known, or repeated in the request.")
    rejected = RejectionSerializer(many=True)
