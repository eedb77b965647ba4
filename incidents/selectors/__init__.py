"""Reads that the pages, the API and the webhooks share. Each answers one question, for one viewer,
in a fixed number of queries."""

from .buyer import (
    attachment_for,
    followed_incidents,
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
    incident_evidence_per_day,
    incident_list,
    incident_named_organizations,
    incident_private_reports,
    incident_replies,
    incident_timeline,
    open_disputes,
)
from .portal import PORTAL_SORTS, portal_incident_search, portal_overview
from .routing import RuleRow, routing_rules
from .suppliers import supplier_category_breakdown, supplier_complaints_per_day, supplier_scorecard

__all__ = [
    "EVIDENCE_ORDER",
    "INCIDENT_ORDER",
    "PORTAL_SORTS",
    "RuleRow",
    "active_category",
    "attachment_for",
    "followed_incidents",
    "incident_answers",
    "incident_evidence",
    "incident_evidence_by_reference",
    "incident_evidence_per_day",
    "incident_list",
    "incident_named_organizations",
    "incident_private_reports",
    "incident_replies",
    "incident_timeline",
    "open_disputes",
    "organization_reports_with_incidents",
    "portal_incident_search",
    "portal_overview",
    "report_by_external_id",
    "report_incident_id",
    "routing_rules",
    "supplier_category_breakdown",
    "supplier_complaints_per_day",
    "supplier_scorecard",
    "suppliers_most_open_incidents",
]
