"""What a viewer sees: evidence anonymised for the viewer, an event's sentence, an incident's one
representation, an answer, safe links and attachment names. Pages, the API, the CSV export and
the webhooks show these; none builds its own copy."""

from .events import (
    TimelineEntry,
    eight_d_labels,
    event_actor,
    event_data,
    event_note,
    event_sentence,
    timeline_entry,
)
from .evidence import (
    INLINE_TYPES,
    AttachmentView,
    EvidenceView,
    Party,
    Person,
    Reporter,
    attachment_view,
    attachment_views,
    evidence_view,
    person_view,
    safe_url,
)
from .incidents import (
    AnswerView,
    Counters,
    EightDStep,
    EventRecord,
    IncidentDetailView,
    IncidentView,
    answer_view,
    incident_detail_view,
    incident_view,
)

__all__ = [
    "INLINE_TYPES",
    "AnswerView",
    "AttachmentView",
    "Counters",
    "EightDStep",
    "EventRecord",
    "EvidenceView",
    "IncidentDetailView",
    "IncidentView",
    "Party",
    "Person",
    "Reporter",
    "TimelineEntry",
    "answer_view",
    "attachment_view",
    "attachment_views",
    "eight_d_labels",
    "event_actor",
    "event_data",
    "event_note",
    "event_sentence",
    "evidence_view",
    "incident_detail_view",
    "incident_view",
    "person_view",
    "safe_url",
    "timeline_entry",
]
