"""What a viewer sees: evidence anonymised for the viewer, an event's sentence, an incident's one
representation, an answer, safe links and attachment names. Pages, the API, the CSV export and
the webhooks show these; none builds its own copy."""

from .events import discipline_name, event_data, event_time, timeline_entry
from .evidence import (
    DisputeMark,
    attachment_views,
    dispute_mark,
    evidence_reference,
    evidence_view,
    person_view,
)
from .incidents import (
    Counters,
    IncidentView,
    ReplyView,
    answer_view,
    counters_for,
    incident_detail_view,
    incident_view,
    own_reports,
    reply_view,
)
from .scorecards import CriterionRow, FigureRow, ScorecardView, scorecard_view

__all__ = [
    "Counters",
    "CriterionRow",
    "DisputeMark",
    "FigureRow",
    "IncidentView",
    "ReplyView",
    "ScorecardView",
    "answer_view",
    "attachment_views",
    "counters_for",
    "discipline_name",
    "dispute_mark",
    "event_data",
    "event_time",
    "evidence_reference",
    "evidence_view",
    "incident_detail_view",
    "incident_view",
    "own_reports",
    "person_view",
    "reply_view",
    "scorecard_view",
    "timeline_entry",
]
