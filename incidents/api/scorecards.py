"""A supplier's scorecard over the incidents the caller may see."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.selectors import supplier_directory
from supplierwatch.api.permissions import request_viewer

from .. import selectors
from . import examples
from .serializers import ScorecardSerializer


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
    filter_backends: list[type] = []

    def get(self, request: Request, slug: str) -> Response:
        viewer = request_viewer(request)
        suppliers = supplier_directory(
            organization_id=viewer.organization_id, supplier_id=viewer.supplier_id
        )
        supplier = get_object_or_404(suppliers, slug=slug)
        figures = selectors.supplier_scorecard(viewer=viewer, supplier=supplier)
        return Response(ScorecardSerializer({"supplier": supplier, **figures}).data)
