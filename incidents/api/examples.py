"""OpenAPI examples of the evidence and incident endpoints (the demo's Initech and Acme)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from ..models import Discipline

# As a buyer's key sees them (a supplier's key gets `named_organizations` instead of
# `other_organizations` and `own_posts`).
_COUNTERS = {
    "posts": 7,
    "public_posts": 2,
    "public_authors": 2,
    "named_reports": 1,
    "anonymous_reports": 4,
    "named_organizations": None,
    "other_organizations": 2,
    "own_posts": 2,
}

# The 8D as a buyer's key sees it: texts and progress, not who owns each discipline.
_EIGHT_D_TEXTS = {
    "d1": "Quality engineer, moulding supervisor and logistics lead.",
    "d3": "Lot L2291 quarantined at our warehouse; replacement parts shipped.",
    "d4": "",
}

_INCIDENT = {
    "id": 42,
    "title": "Defect / nonconformance: Initech Components, lot L2291",
    "status": "acknowledged",
    "severity": "high",
    "category": {"slug": "defect", "name": "Defect / nonconformance"},
    "supplier": {"slug": "initech", "name": "Initech Components"},
    "vendor_code": "V01001",
    "sku": "",
    "lot": "L2291",
    "counters": _COUNTERS,
    "first_seen_at": "2026-11-02T08:00:00Z",
    "last_seen_at": "2026-11-20T16:00:00Z",
    "last_activity_at": "2026-11-21T09:00:00Z",
    "created_at": "2026-11-02T08:00:00Z",
    "updated_at": "2026-11-21T09:00:00Z",
    "acknowledge_due_at": "2026-11-03T09:00:00Z",
    "resolve_due_at": "2026-11-09T09:00:00Z",
    "waiting_on_buyer": False,
    "sla_paused_at": None,
    "acknowledged_at": "2026-11-02T11:30:00Z",
    "resolved_at": None,
    "closed_at": None,
    "reopened_count": 0,
    "seconds_to_first_answer": 9000,
    "seconds_to_resolution": None,
    "assignee": None,
    "eight_d": [
        {
            "discipline": value,
            "label": label,
            "text": _EIGHT_D_TEXTS.get(value, ""),
            "owner": None,
            "owned": value in _EIGHT_D_TEXTS,
            "due_on": "2026-11-06" if value == "d4" else None,
            "done_on": "2026-11-02" if value in ("d1", "d3") else None,
            "overdue": False,
        }
        for value, label in Discipline.choices
    ],
}

_RESPONSE = {
    "id": 7,
    "body": "We have quarantined lot L2291 and are shipping replacements this week.",
    "visibility": "public",
    "organization": None,
    "author": None,
    "created_at": "2026-11-02T11:30:00Z",
    "waits_for_buyer": False,
}

INCIDENT = OpenApiExample("An incident", value=_INCIDENT, response_only=True)
INCIDENT_LIST = OpenApiExample("Incidents", value=_INCIDENT, response_only=True)
INCIDENT_DETAIL = OpenApiExample(
    "An incident with its timeline",
    value={
        **_INCIDENT,
        "timeline": [
            {"kind": "created", "created_at": "2026-11-02T08:00:00Z", "data": {}},
            {
                "kind": "status_changed",
                "created_at": "2026-11-02T11:30:00Z",
                "data": {"from": "new", "to": "acknowledged"},
            },
            {
                "kind": "response",
                "created_at": "2026-11-02T11:30:00Z",
                "data": {"response_id": 7, "visibility": "public"},
            },
            {
                "kind": "post_added",
                "created_at": "2026-11-20T16:41:00Z",
                "data": {"posts": 1, "public_posts": 0},
            },
        ],
        "responses": [_RESPONSE],
    },
    response_only=True,
)
ASSIGN = OpenApiExample(
    "Assign to a colleague", value={"assignee": "responder@initech.test"}, request_only=True
)
RESOLVE = OpenApiExample(
    "Resolve", value={"note": "Replacement lot delivered and accepted."}, request_only=True
)
ACTIONS = OpenApiExample(
    "The root cause found",
    value={
        "discipline": "d4",
        "text": "Mould cavity 3 worn beyond tolerance.",
        "owner": "responder@initech.test",
        "due_on": "2026-11-06",
        "done_on": "2026-11-05",
    },
    request_only=True,
)
RESPOND = OpenApiExample(
    "A public answer",
    value={"body": "We have quarantined lot L2291 and are shipping replacements this week."},
    request_only=True,
)
REPLY = OpenApiExample(
    "A reply",
    value={"body": "The replacement lot arrived, but 3 of 40 boxes show the same crack."},
    request_only=True,
)
_REPLY = {
    "id": 12,
    "body": "The replacement lot arrived, but 3 of 40 boxes show the same crack.",
    "organization": None,
    "author": None,
    "created_at": "2026-03-04T10:15:00Z",
    "is_own": False,
}
REPLY_CREATED = OpenApiExample("A reply", value=_REPLY, response_only=True, status_codes=["201"])
REPLY_LIST = OpenApiExample(
    "Replies, as the supplier reads an anonymous reporter's", value=[_REPLY], response_only=True
)
REJECT = OpenApiExample(
    "Reject",
    value={"reason": "The replacement lot has the same crack in 3 of 40 boxes."},
    request_only=True,
)
RESPONSE = OpenApiExample("An answer", value=_RESPONSE, response_only=True, status_codes=["201"])
RESPONSE_LIST = OpenApiExample("Answers", value=[_RESPONSE], response_only=True)
EVIDENCE_LIST = OpenApiExample(
    "Evidence",
    value={
        "id": 1201,
        "kind": "buyer_report",
        "source": "buyer",
        "text": "Incoming inspection rejected 40 units of HX-200 (lot L2291): out of tolerance.",
        "published_at": "2026-11-20T16:40:00Z",
        "visibility": "anonymous",
        "category": "defect",
        "severity": "high",
        "sku": "HX-200",
        "lot": "L2291",
        "quantity_affected": 40,
        "author_handle": "",
        "url": "",
        "reporter": None,
    },
    response_only=True,
)
CSV = OpenApiExample(
    "CSV",
    value=(
        "id,title,supplier,supplier_slug,vendor_code,category,status,severity,sku,lot,posts,"
        "public_posts,public_authors,named_reports,anonymous_reports,named_organizations,"
        "other_organizations,own_posts,first_seen_at,last_seen_at,last_activity_at,"
        "acknowledged_at,resolved_at,acknowledge_due_at,resolve_due_at\r\n"
        '42,"Defect / nonconformance: Initech Components, lot L2291",Initech Components,'
        "initech,V01001,defect,acknowledged,high,,L2291,7,2,2,1,4,,2,2,"
        "2026-11-02T08:00:00+00:00,2026-11-20T16:00:00+00:00,2026-11-21T09:00:00+00:00,"
        "2026-11-02T11:30:00+00:00,,2026-11-03T09:00:00+00:00,2026-11-09T09:00:00+00:00\r\n"
    ),
    response_only=True,
)
SCORECARD = OpenApiExample(
    "Scorecard",
    value={
        "supplier": {"slug": "initech", "name": "Initech Components"},
        "period": "month",
        "standings": [
            {"name": "Excellent", "min_score": 90.0},
            {"name": "Good", "min_score": 75.0},
            {"name": "Fair", "min_score": 50.0},
            {"name": "Poor", "min_score": 0.0},
        ],
        "periods": [
            {
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "period_label": "November 2026",
                "in_progress": False,
                "score": 67.3,
                "standing": "Fair",
                "computed_at": "2026-12-01T10:07:00Z",
                "figures": {
                    "buyer_reports": 3,
                    "weighted_reports": 14,
                    "reporting_organizations": 3,
                    "public_complaints": 2,
                    "first_answers_kept": 2,
                    "first_answers_broken": 1,
                    "first_answer_median_hours": 24.0,
                    "resolutions_kept": 1,
                    "resolutions_broken": 1,
                    "resolution_median_hours": 96.0,
                    "reopenings": 1,
                    "units_affected": 150,
                    "disputes_upheld": None,
                },
                "criteria": [
                    {
                        "key": "complaints_per_organization",
                        "name": "Complaints per reporting organization (severity-weighted)",
                        "weight": 20.0,
                        "worst": 10.0,
                        "value": 4.6667,
                        "sub_score": 53.33,
                        "lost": 10.37,
                    },
                    {
                        "key": "first_answer_on_time",
                        "name": "First answer on time",
                        "weight": 15.0,
                        "worst": 0.0,
                        "value": 0.6667,
                        "sub_score": 66.67,
                        "lost": 5.56,
                    },
                    {
                        "key": "disputes_upheld",
                        "name": "Disputes upheld against the supplier",
                        "weight": 10.0,
                        "worst": 5.0,
                        "value": None,
                        "sub_score": None,
                        "lost": 0.0,
                    },
                ],
            }
        ],
    },
    response_only=True,
)
_REPORT = {
    "id": 1201,
    "supplier": {"slug": "initech", "name": "Initech Components"},
    "text": "Incoming inspection rejected 40 units of HX-200 (lot L2291): out of tolerance.",
    "category": "defect",
    "severity": "high",
    "visibility": "anonymous",
    "po_number": "PO-4500123",
    "sku": "HX-200",
    "lot": "L2291",
    "quantity_affected": 40,
    "published_at": "2026-11-20T16:40:00Z",
    "created_at": "2026-11-20T16:40:02Z",
    "status": "pending",
    "incident": None,
    "author": {
        "name": "SAP connector (API key)",
        "email": "key-4f9a2c1b@api-keys.supplierwatch.invalid",
    },
}
REPORT = OpenApiExample("A report", value=_REPORT, response_only=True, status_codes=["200", "201"])
REPORT_LIST = OpenApiExample("Reports", value=_REPORT, response_only=True)
REPORT_CREATE = OpenApiExample(
    "Report by vendor code",
    value={
        "vendor_code": "V01001",
        "text": "Incoming inspection rejected 40 units of HX-200 (lot L2291): out of tolerance.",
        "category": "defect",
        "severity": "high",
        "visibility": "anonymous",
        "po_number": "PO-4500123",
        "sku": "HX-200",
        "lot": "L2291",
        "quantity_affected": 40,
    },
    request_only=True,
)
INGEST = OpenApiExample(
    "Two posts from a feed",
    value={
        "source": "twitter",
        "posts": [
            {
                "external_id": "1861234567890",
                "text": "@InitechParts third broken bracket shipment this month. Not happy.",
                "published_at": "2026-11-21T08:00:00Z",
                "author_handle": "@plantmanager",
                "url": "https://twitter.example/plantmanager/status/1861234567890",
            },
            {"external_id": "1861234567891", "text": ""},
        ],
    },
    request_only=True,
)
INGEST_RESULT = OpenApiExample(
    "Accepted, with a rejected row",
    value={"accepted": 1, "duplicates": 0, "rejected": [{"index": 1, "reason": "text: required"}]},
    response_only=True,
    status_codes=["202"],
)
CATEGORIES = OpenApiExample(
    "Categories",
    value=[
        {
            "slug": "defect",
            "name": "Defect / nonconformance",
            "description": "Parts out of specification.",
        }
    ],
    response_only=True,
)

MERGE = OpenApiExample("Merge", value={"target": 812}, request_only=True)
SPLIT = OpenApiExample(
    "Split",
    value={"evidence": ["5f0c2a9e41d7b36c8e12ab90", "9a41c0d2e7b35f18a6c4d0e2"]},
    request_only=True,
)
DISPUTE = OpenApiExample(
    "Dispute",
    value={
        "evidence": "5f0c2a9e41d7b36c8e12ab90",
        "reason": "not_about_us",
        "note": "We make no gaskets; this is another supplier's part.",
    },
    request_only=True,
)
_DISPUTE = {
    "id": 31,
    "reason": "not_about_us",
    "status": "open",
    "note": "We make no gaskets; this is another supplier's part.",
}
DISPUTE_OPENED = OpenApiExample(
    "An open dispute", value=_DISPUTE, response_only=True, status_codes=["201"]
)
DISPUTE_DECISION = OpenApiExample(
    "A decision",
    value={"note": "Our mistake: the gaskets came from another supplier."},
    request_only=True,
)
DISPUTE_DECIDED = OpenApiExample(
    "An accepted dispute", value={**_DISPUTE, "status": "accepted"}, response_only=True
)
