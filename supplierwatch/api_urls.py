"""/api/: version 1 of the REST API, its OpenAPI schema and its browsable documentation."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from incidents.api.incidents import IncidentViewSet
from incidents.api.posts import CategoryListView, PublicPostIngestView, ReportViewSet
from incidents.api.scorecards import SupplierScorecardView
from integrations.api import (
    FeedInboundView,
    MeView,
    WebhookDeliveryViewSet,
    WebhookSubscriptionViewSet,
)
from suppliers.api import SupplierViewSet

from .api.docs import RedocView, SwaggerUiView
from .api.errors import api_not_found

router = SimpleRouter()
router.register("suppliers", SupplierViewSet, basename="api-supplier")
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("posts", ReportViewSet, basename="api-report")
router.register("webhooks", WebhookSubscriptionViewSet, basename="api-webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="api-webhook-delivery")

v1 = [
    path("me/", MeView.as_view(), name="api-me"),
    path("categories/", CategoryListView.as_view(), name="api-categories"),
    path("public-posts/", PublicPostIngestView.as_view(), name="api-public-posts"),
    path("feeds/inbound/<str:token>/", FeedInboundView.as_view(), name="api-feed-inbound"),
    path(
        "suppliers/<slug:slug>/scorecard/",
        SupplierScorecardView.as_view(),
        name="api-supplier-scorecard",
    ),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerUiView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Anything else under /api/ answers a JSON 404, not the site's HTML page.
    re_path(r"", api_not_found),
]
