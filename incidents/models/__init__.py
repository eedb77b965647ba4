"""What: evidence (posts), what it names (matches), how it is grouped (incidents) and answered."""

from .disputes import Dispute, DisputeQuerySet
from .evidence import (
    Attachment,
    Category,
    ClassifierModel,
    Post,
    PostMatch,
    PostQuerySet,
    attachment_path,
    identity_hidden_condition,
)
from .incidents import (
    Follow,
    Incident,
    IncidentEvent,
    IncidentQuerySet,
    Response,
    ResponseQuerySet,
    overdue_condition,
)
from .replies import Reply, ReplyQuerySet
from .routing import RoutingRule
from .sla import SLA_ACKNOWLEDGE, SLA_RESOLVE, SlaAlert
from .values import Severity, hour_of, to_the_hour

__all__ = [
    "SLA_ACKNOWLEDGE",
    "SLA_RESOLVE",
    "Attachment",
    "Category",
    "ClassifierModel",
    "Dispute",
    "DisputeQuerySet",
    "Follow",
    "Incident",
    "IncidentEvent",
    "IncidentQuerySet",
    "Post",
    "PostMatch",
    "PostQuerySet",
    "Reply",
    "ReplyQuerySet",
    "Response",
    "ResponseQuerySet",
    "RoutingRule",
    "Severity",
    "SlaAlert",
    "attachment_path",
    "hour_of",
    "identity_hidden_condition",
    "overdue_condition",
    "to_the_hour",
]
