"""The API of the integration itself: who am I, the party's webhook subscriptions, and the\ninbound webhook feeds that tools send public posts to."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.serializers import IngestResultSerializer, PublicPostRowsField
from suppliers.models import Organization, Supplier, person
from supplierwatch.api import fields as strict
from supplierwatch.api.parsers import BoundedJSONParser
from supplierwatch.api.permissions import request_viewer

from . import services
from .models import ApiKey, WebhookDelivery, WebhookSubscription

EVENTS = WebhookSubscription.Event


def _party_of(request: Request) -> tuple[Organization | None, Supplier | None]:
    """The rows of the party the request acts for (its viewer's organization or supplier), as
    the key's authentication loaded them with its user; neither for an operator, who is no
    party."""
    viewer = request_viewer(request)
    if viewer.organization_id is None and viewer.supplier_id is None:
        return None, None
    membership = person(request.user).membership
    return membership.organization, membership.supplier


# --- me ------------------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["organization", "supplier"])
    slug = serializers.SlugField()
    name = serializers.CharField()


class KeySerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key starts with sw_live_<prefix>_.")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=["read", "write"]))
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    party = PartySerializer(allow_null=True)
    key = KeySerializer(allow_null=True, help_text="Null when signed in to the site instead.")


@extend_schema(
    summary="Who am I",
    description="The party your key acts for, and the key itself.",
    responses=MeSerializer,
    examples=[
        OpenApiExample(
            "A buyer's key",
            value={
                "party": {"kind": "organization", "slug": "acme", "name": "Acme Manufacturing"},
                "key": {
                    "name": "SAP connector",
                    "prefix": "4f9a2c1b",
                    "scopes": ["read", "write"],
                    "created_at": "2026-11-01T10:00:00Z",
                    "last_used_at": "2026-11-21T09:00:00Z",
                },
            },
            response_only=True,
        )
    ],
)
class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        organization, supplier = _party_of(request)
        party = None
        if (row := organization or supplier) is not None:
            kind = "organization" if organization is not None else "supplier"
            party = {"kind": kind, "slug": row.slug, "name": row.name}
        key = request.auth if isinstance(request.auth, ApiKey) else None
        return Response(MeSerializer({"party": party, "key": key}).data)


# --- webhooks -----------------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS.choices))

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "failure_count",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="Signs every delivery. Shown only now: keep it.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookURLField(strict.HttpURLField):
    """An http(s) URL; the service refuses one on a private network (and plain http in
    production)."""


class SubscriptionCreateSerializer(serializers.Serializer):
    url = WebhookURLField(max_length=services.URL_MAX)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS.choices), min_length=1, max_length=20
    )
    description = strict.CharField(
        required=False, allow_blank=True, max_length=services.DESCRIPTION_MAX
    )


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = WebhookURLField(required=False, max_length=services.URL_MAX)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENTS.choices),
        required=False,
        min_length=1,
        max_length=20,
    )
    description = strict.CharField(
        required=False, allow_blank=True, max_length=services.DESCRIPTION_MAX
    )
    is_active = strict.BooleanField(
        required=False, help_text="true switches a disabled subscription on again."
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "last_error": {
                "help_text": "The last failed attempt, in one line: `HTTP 503 Service Unavailable`,"
                " `ConnectTimeout: ...` or `refused: ...` (never what the endpoint answered)."
            }
        }


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField()


_SUBSCRIPTION = {
    "id": 3,
    "url": "https://erp.example.com/hooks/supplierwatch",
    "description": "SAP QM",
    "events": ["incident.answered", "incident.created", "incident.resolved"],
    "is_active": True,
    "failure_count": 0,
    "disabled_at": None,
    "created_at": "2026-11-01T10:00:00Z",
    "updated_at": "2026-11-01T10:00:00Z",
}
_SECRET = "whsec_3yq0LwZk8Xo2m1JbVt6RuPaN5cHdE7Fs"


@extend_schema_view(
    list=extend_schema(
        summary="List your webhook subscriptions",
        examples=[OpenApiExample("Subscriptions", value=_SUBSCRIPTION, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription",
        examples=[OpenApiExample("A subscription", value=_SUBSCRIPTION, response_only=True)],
    ),
    create=extend_schema(
        summary="Subscribe a URL to events",
        description="Write scope. The answer carries the signing `secret`, shown only now. "
        "Addresses on private networks are refused. See docs/api.md for verifying signatures.",
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionWithSecretSerializer},
        examples=[
            OpenApiExample(
                "Subscribe",
                value={
                    "url": "https://erp.example.com/hooks/supplierwatch",
                    "events": ["incident.created", "incident.answered", "incident.resolved"],
                    "description": "SAP QM",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Subscribed",
                value={**_SUBSCRIPTION, "secret": _SECRET},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        description="Write scope. `is_active: true` switches a disabled subscription on again.",
        request=SubscriptionUpdateSerializer,
        responses=SubscriptionSerializer,
        examples=[
            OpenApiExample("Switch on again", value={"is_active": True}, request_only=True),
            OpenApiExample("Changed", value=_SUBSCRIPTION, response_only=True),
        ],
    ),
    destroy=extend_schema(summary="Delete a webhook subscription", description="Write scope."),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SubscriptionSerializer
    lookup_value_regex = r"[0-9]+"
    ordering = "-id"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = WebhookSubscription.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.visible_to(request_viewer(self.request))

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization, supplier = _party_of(request)
        subscription, secret = services.webhook_subscription_create(
            organization=organization,
            supplier=supplier,
            created_by=person(request.user),
            **serializer.validated_data,
        )
        subscription.secret = secret
        return Response(
            SubscriptionWithSecretSerializer(subscription).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path}{subscription.pk}/"},
        )

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        serializer = SubscriptionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_update(
            subscription=self.get_object(), **serializer.validated_data
        )
        return Response(SubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        services.webhook_subscription_delete(subscription=instance)

    @extend_schema(
        summary="Rotate the signing secret",
        description="Write scope. The new secret signs every delivery from now on; shown only now.",
        request=None,
        responses=SecretSerializer,
        examples=[OpenApiExample("New secret", value={"secret": _SECRET}, response_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", pagination_class=None)
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        secret = services.webhook_subscription_rotate_secret(subscription=self.get_object())
        return Response({"secret": secret})


_DELIVERY = {
    "id": 981,
    "subscription": 3,
    "event_id": "0b6f2f5e-2a51-4e4f-9f86-8d1c1c2b7d11",
    "event_type": "incident.answered",
    "status": "delivered",
    "attempts": 2,
    "last_status_code": 200,
    "last_error": "",
    "last_attempt_at": "2026-11-21T09:03:40Z",
    "next_attempt_at": None,
    "delivered_at": "2026-11-21T09:03:40Z",
    "created_at": "2026-11-21T09:02:15Z",
    "payload": {"id": "0b6f2f5e-2a51-4e4f-9f86-8d1c1c2b7d11", "type": "incident.answered"},
}


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries",
        description="Your subscriptions' deliveries, newest first, with every attempt's outcome.",
        examples=[OpenApiExample("Deliveries", value=_DELIVERY, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Read a webhook delivery",
        examples=[OpenApiExample("A delivery", value=_DELIVERY, response_only=True)],
    ),
)
class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = DeliverySerializer
    lookup_value_regex = r"[0-9]+"
    ordering = "-id"
    filter_backends: list = []
    queryset = WebhookDelivery.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.visible_to(request_viewer(self.request))

    @extend_schema(
        summary="Deliver again",
        description="Write scope. Sends the delivery again with the same event id (receivers "
        "drop it if they had it) and a fresh round of retries.",
        request=None,
        responses={202: DeliverySerializer},
        examples=[
            OpenApiExample(
                "Queued",
                value={**_DELIVERY, "status": "pending", "attempts": 0},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        delivery = services.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


# --- inbound webhook feeds ------------------------------------------------------------------------


class FeedInboundSerializer(serializers.Serializer):
    posts = PublicPostRowsField(min_length=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limit is read per request, so that a setting takes effect at once.
        self.fields["posts"] = PublicPostRowsField(
            min_length=1, max_length=settings.SW_FEED_INBOUND_MAX_ITEMS
        )


@extend_schema(
    summary="Send posts to an inbound webhook feed",
    description="No API key: the feed's URL and its secret are the credentials. Sign the raw body "
    "as our outgoing webhooks are signed (`Supplierwatch-Signature: t=<unix time>,v1=<hex "
    'HMAC-SHA256 of "<t>.<body>">`, within 5 minutes); a body is accepted once (a replay is '
    "409). Up to 1,000 posts, each as in `POST /public-posts/`; answered 202 once they are "
    "stored, with rows that cannot be stored listed in `rejected`. docs/feeds.md has a sender's "
    "example.",
    request=FeedInboundSerializer,
    responses={202: IngestResultSerializer},
    parameters=[
        OpenApiParameter(
            "Supplierwatch-Signature",
            location=OpenApiParameter.HEADER,
            required=True,
            description='`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`',
        )
    ],
    examples=[
        OpenApiExample(
            "A scraper's two posts",
            value={
                "posts": [
                    {
                        "external_id": "review-88123",
                        "text": "Initech Components sent cracked housings, third time.",
                        "published_at": "2026-11-30T10:00:00Z",
                        "author_handle": "plantmanager",
                        "url": "https://reviews.example/initech/88123",
                    },
                    {"external_id": "review-88124", "text": ""},
                ]
            },
            request_only=True,
        ),
        OpenApiExample(
            "Stored, with a rejected row",
            value={
                "accepted": 1,
                "duplicates": 0,
                "rejected": [{"index": 1, "reason": "text: required"}],
            },
            response_only=True,
            status_codes=["202"],
        ),
    ],
)
class FeedInboundView(generics.GenericAPIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # The body is parsed only once its signature is verified, by BoundedJSONParser's rules.
    parser_classes: list[type] = []
    serializer_class = FeedInboundSerializer
    pagination_class = None
    filter_backends: list[type] = []

    def post(self, request: Request, token: str) -> Response:
        feed = services.feed_inbound_find(token=token)
        body = request.body  # a body above SW_MAX_REQUEST_BYTES is refused here: 413
        digest = services.feed_inbound_verify(
            feed=feed, body=body, signature=request.headers.get("Supplierwatch-Signature", "")
        )
        data = BoundedJSONParser().parse(io.BytesIO(body))
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        result = services.feed_inbound_store(
            feed=feed, digest=digest, rows=serializer.validated_data["posts"]
        )
        answer = {
            "accepted": result.ingest.accepted,
            "duplicates": result.duplicates,
            "rejected": [{"index": index, "reason": reason} for index, reason in result.rejected],
        }
        return Response(IngestResultSerializer(answer).data, status=status.HTTP_202_ACCEPTED)
