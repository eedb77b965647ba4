"""Every write to evidence and incidents: one function per use case, each in a transaction."""

from .assignments import MAY_NOT_ACT, NOT_A_COLLEAGUE, incidents_return_to_team
from .attachments import (
    attachment_scrub,
    attachments_add,
    attachments_check,
    post_report_with_attachments,
)
from .bulk import BULK_ACTIONS, BulkOutcome, incidents_act_in_bulk
from .disputes import (
    NOT_A_DECIDER,
    dispute_accept,
    dispute_open,
    dispute_reject,
    may_decide,
    may_dispute,
)
from .eightd import KEEP, UNKNOWN_DISCIPLINE, eightd_release_owner, eightd_update
from .follows import follow_mark_seen, incident_follow, incident_unfollow
from .ingest import IngestResult, posts_ingest
from .labels import LabelImportResult, categories_for_labels, posts_label_imported
from .lifecycle import (
    PRIVATE_ANSWER_REFUSAL,
    incident_acknowledge,
    incident_assign,
    incident_close,
    incident_resolve,
    incident_respond,
    incident_response_edit,
    incident_set_severity,
    incident_start_investigation,
)
from .merging import incident_merge, incident_split, may_merge
from .monitors import (
    monitor_alerts_record,
    monitor_delete,
    monitor_matches_record,
    monitor_save,
    monitor_watch,
)
from .posts import post_update, posts_delete
from .processing import ProcessResult, posts_mark_failed, posts_process
from .queueing import posts_queue, posts_requeue_pending, posts_send
from .replies import (
    NOT_A_REPORTER,
    incident_accept_resolution,
    incident_reject_resolution,
    incident_reply,
)
from .reports import post_report
from .routing import (
    incidents_route,
    may_manage_rules,
    routing_rule_delete,
    routing_rule_move,
    routing_rule_save,
)
from .saved_views import saved_view_delete, saved_view_save
from .scorecards import (
    scorecard_figures,
    scorecards_compute,
    scorecards_compute_current,
    scorecards_recompute,
    scoring_rules,
)
from .sla import sla_alerts_record
from .sla_policies import (
    may_manage_sla,
    sla_default_policy_save,
    sla_promises_save,
    work_calendar_save,
)
from .spikes import spikes_detect
from .training import (
    TrainingResult,
    classifier_activate,
    classifier_deactivate_all,
    classifier_train,
    labelled_examples,
    may_correct_labels,
    may_relabel,
    post_relabel,
    posts_relabel,
)

__all__ = [
    "BULK_ACTIONS",
    "KEEP",
    "MAY_NOT_ACT",
    "NOT_A_COLLEAGUE",
    "NOT_A_DECIDER",
    "NOT_A_REPORTER",
    "PRIVATE_ANSWER_REFUSAL",
    "UNKNOWN_DISCIPLINE",
    "BulkOutcome",
    "IngestResult",
    "LabelImportResult",
    "ProcessResult",
    "TrainingResult",
    "attachment_scrub",
    "attachments_add",
    "attachments_check",
    "categories_for_labels",
    "classifier_activate",
    "classifier_deactivate_all",
    "classifier_train",
    "dispute_accept",
    "dispute_open",
    "dispute_reject",
    "eightd_release_owner",
    "eightd_update",
    "follow_mark_seen",
    "incident_accept_resolution",
    "incident_acknowledge",
    "incident_assign",
    "incident_close",
    "incident_follow",
    "incident_merge",
    "incident_reject_resolution",
    "incident_reply",
    "incident_resolve",
    "incident_respond",
    "incident_response_edit",
    "incident_set_severity",
    "incident_split",
    "incident_start_investigation",
    "incident_unfollow",
    "incidents_act_in_bulk",
    "incidents_return_to_team",
    "incidents_route",
    "labelled_examples",
    "may_correct_labels",
    "may_decide",
    "may_dispute",
    "may_manage_rules",
    "may_manage_sla",
    "may_merge",
    "may_relabel",
    "monitor_alerts_record",
    "monitor_delete",
    "monitor_matches_record",
    "monitor_save",
    "monitor_watch",
    "post_relabel",
    "post_report",
    "post_report_with_attachments",
    "post_update",
    "posts_delete",
    "posts_ingest",
    "posts_label_imported",
    "posts_mark_failed",
    "posts_process",
    "posts_queue",
    "posts_relabel",
    "posts_requeue_pending",
    "posts_send",
    "routing_rule_delete",
    "routing_rule_move",
    "routing_rule_save",
    "saved_view_delete",
    "saved_view_save",
    "scorecard_figures",
    "scorecards_compute",
    "scorecards_compute_current",
    "scorecards_recompute",
    "scoring_rules",
    "sla_alerts_record",
    "sla_default_policy_save",
    "sla_promises_save",
    "spikes_detect",
    "work_calendar_save",
]
