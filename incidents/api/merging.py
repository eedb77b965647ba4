"""Merge and split over the API: the actions of the incident viewset (IncidentViewSet takes them
in), each validating the request's shape and calling one service (services.merging)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from suppliers.models import person
from supplierwatch.api.permissions import request_viewer

from .. import selectors, services
from ..models import Incident
from . import examples
from .serializers import IncidentSerializer, MergeInputSerializer, SplitInputSerializer

STATE_CONFLICT = OpenApiResponse(
    description="The incident's status does not allow this action now (it was merged)."
)
UNPROCESSABLE = OpenApiResponse(
    description="A value the schema allows but a rule refuses; `fields` names it."
)


class MergeSplitActions:
    """`POST /incidents/{id}/merge/` and `POST /incidents/{id}/split/` (supplier keys)."""

    if TYPE_CHECKING:  # IncidentViewSet's, which these actions are part of

        def get_object(self) -> Incident: ...
        def _incident(self, incident: Incident) -> dict[str, Any]: ...

    @extend_schema(
        summary="Merge an incident into another",
        description="Supplier keys (write scope) of responders' standing: this incident and "
        "`target` (another incident of your supplier) are one problem. All its evidence moves to "
        "the target, which is counted again and answered; this incident's address then answers "
        "301 with the target's, and evidence that would have joined it joins the target. Both "
        "timelines tell of it; `incident.merged` goes to webhooks. Refused naming `target` "
        "(422): the incident itself, one of another supplier (or none), one merged already.",
        request=MergeInputSerializer,
        responses={200: IncidentSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.MERGE],
        operation_id="incidents_merge",
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = MergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = services.incident_merge(
            source=incident,
            target_id=serializer.validated_data["target"],
            actor=person(request.user),
        )
        return Response(self._incident(target))

    @extend_schema(
        summary="Split evidence out into a new incident",
        description="Supplier keys (write scope): the evidence named by its `reference`s (from "
        "`GET .../posts/`) is another problem. It moves into a new incident of your supplier, "
        "titled from it, which is answered (201). Reprocessing never puts it back. Both "
        "timelines tell of it; `incident.split` goes to webhooks. Refused naming `evidence` "
        "(422): evidence not in the incident, or all of it.",
        request=SplitInputSerializer,
        responses={201: IncidentSerializer, 409: STATE_CONFLICT, 422: UNPROCESSABLE},
        examples=[examples.SPLIT],
        operation_id="incidents_split",
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def split(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        viewer = request_viewer(request)
        serializer = SplitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posts = selectors.incident_evidence_by_references(
            viewer=viewer, incident=incident, references=serializer.validated_data["evidence"]
        )
        new = services.incident_split(incident=incident, posts=posts, actor=person(request.user))
        return Response(self._incident(new), status=status.HTTP_201_CREATED)
