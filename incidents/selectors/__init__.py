"""Reads that the pages, the API and the webhooks share. Each answers one question, for one viewer,
in a fixed number of queries."""

from .buyer import (
    attachment_for,
    followed_incidents,
    network_complaints_trend,
    organization_reports_with_incidents,
    report_by_external_id,
    report_incident_id,
    suppliers_most_open_incidents,
)
from .incidents import (
    EVIDENCE_ORDER,
    INCIDENT_ORDER,
    active_category,
    incident_answers,
    incident_evidence,
    incident_evidence_by_reference,
    incident_evidence_by_references,
    incident_evidence_ids,
    incident_evidence_per_day,
    incident_list,
    incident_named_organizations,
    incident_private_reports,
    incident_replies,
    incident_timeline,
    merge_targets,
    merged_incident_target,
    open_disputes,
)
from .monitors import monitor_of, monitor_posts, monitor_volume_per_day, monitors_of
from .portal import portal_overview
from .routing import RuleRow, routing_rules
from .saved import list_of, saved_views_for
from .scorecards import (
    HEADLINE_PERIOD,
    HISTORY_DEFAULT,
    HISTORY_MAX,
    directory_suppliers,
    supplier_scorecards,
)
from .search import SORTS, SearchResults, incident_search, paged
from .suppliers import supplier_category_breakdown, supplier_complaints_trend
from .trends import complaints_trend

__all__ = [
    "EVIDENCE_ORDER",
    "HEADLINE_PERIOD",
    "HISTORY_DEFAULT",
    "HISTORY_MAX",
    "INCIDENT_ORDER",
    "SORTS",
    "RuleRow",
    "SearchResults",
    "active_category",
    "attachment_for",
    "complaints_trend",
    "directory_suppliers",
    "followed_incidents",
    "incident_answers",
    "incident_evidence",
    "incident_evidence_by_reference",
    "incident_evidence_by_references",
    "incident_evidence_ids",
    "incident_evidence_per_day",
    "incident_list",
    "incident_named_organizations",
    "incident_private_reports",
    "incident_replies",
    "incident_search",
    "incident_timeline",
    "list_of",
    "merge_targets",
    "merged_incident_target",
    "monitor_of",
    "monitor_posts",
    "monitor_volume_per_day",
    "monitors_of",
    "network_complaints_trend",
    "open_disputes",
    "organization_reports_with_incidents",
    "paged",
    "portal_overview",
    "report_by_external_id",
    "report_incident_id",
    "routing_rules",
    "saved_views_for",
    "supplier_category_breakdown",
    "supplier_complaints_trend",
    "supplier_scorecards",
    "suppliers_most_open_incidents",
]
