"""What: evidence (posts), what it names (matches), how it is grouped (incidents) and answered."""

from .disputes import Dispute, DisputeQuerySet
from .eightd import (
    FORMER_FIELDS,
    Discipline,
    EightDStep,
    discipline_overdue,
    prefetch_eight_d,
    recorded_steps,
)
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
from .monitors import KeywordMonitor, KeywordMonitorQuerySet, MonitorAlert, MonitorMatch
from .replies import Reply, ReplyQuerySet
from .rollups import ComplaintDay, ComplaintDayQuerySet
from .routing import RoutingRule
from .saved import SavedView, SavedViewQuerySet
from .scorecards import Scorecard, ScoringCriterion, Standing
from .sla import (
    SLA_ACKNOWLEDGE,
    SLA_RESOLVE,
    SlaAlert,
    SlaPolicy,
    SlaTerms,
    WorkCalendar,
    sla_promises,
    sla_terms,
)
from .values import Severity, hour_of, to_the_hour

__all__ = [
    "FORMER_FIELDS",
    "SLA_ACKNOWLEDGE",
    "SLA_RESOLVE",
    "Attachment",
    "Category",
    "ClassifierModel",
    "ComplaintDay",
    "ComplaintDayQuerySet",
    "Discipline",
    "Dispute",
    "DisputeQuerySet",
    "EightDStep",
    "Follow",
    "Incident",
    "IncidentEvent",
    "IncidentQuerySet",
    "KeywordMonitor",
    "KeywordMonitorQuerySet",
    "MonitorAlert",
    "MonitorMatch",
    "Post",
    "PostMatch",
    "PostQuerySet",
    "Reply",
    "ReplyQuerySet",
    "Response",
    "ResponseQuerySet",
    "RoutingRule",
    "SavedView",
    "SavedViewQuerySet",
    "Scorecard",
    "ScoringCriterion",
    "Severity",
    "SlaAlert",
    "SlaPolicy",
    "SlaTerms",
    "Standing",
    "WorkCalendar",
    "attachment_path",
    "discipline_overdue",
    "hour_of",
    "identity_hidden_condition",
    "overdue_condition",
    "prefetch_eight_d",
    "recorded_steps",
    "sla_promises",
    "sla_terms",
    "to_the_hour",
]
