"""Every write to evidence and incidents: one function per use case, each in a transaction."""

from .ingest import IngestResult, posts_ingest
from .lifecycle import (
    incident_acknowledge,
    incident_assign,
    incident_close,
    incident_record_actions,
    incident_resolve,
    incident_respond,
    incident_set_severity,
    incident_start_investigation,
)
from .processing import ProcessResult, posts_mark_failed, posts_process, posts_queue
from .reports import post_report
from .spikes import spikes_detect

__all__ = [
    "IngestResult",
    "ProcessResult",
    "incident_acknowledge",
    "incident_assign",
    "incident_close",
    "incident_record_actions",
    "incident_resolve",
    "incident_respond",
    "incident_set_severity",
    "incident_start_investigation",
    "post_report",
    "posts_ingest",
    "posts_mark_failed",
    "posts_process",
    "posts_queue",
    "spikes_detect",
]
