"""OpenAPI examples of the evidence and incident endpoints (the demo's Initech and Acme)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

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
    "acknowledged_at": "2026-11-02T11:30:00Z",
    "resolved_at": None,
    "closed_at": None,
    "reopened_count": 0,
    "seconds_to_first_answer": 9000,
    "seconds_to_resolution": None,
    "assignee": None,
    "containment": "Lot L2291 quarantined at our warehouse; replacement parts shipped.",
    "root_cause": "",
    "corrective_action": "",
    "preventive_action": "",
    "verification": "",
}

_RESPONSE = {
    "id": 7,
    "body": "We have quarantined lot L2291 and are shipping replacements this week.",
    "visibility": "public",
    "organization": None,
    "author": None,
    "created_at": "2026-11-02T11:30:00Z",
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
    "8D answer",
    value={
        "root_cause": "Mould cavity 3 worn beyond tolerance.",
        "corrective_action": "Cavity 3 re-machined; 100% inspection of the next 5 lots.",
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
        "total": 12,
        "open": 4,
        "overdue": 1,
        "posts": 57,
        "by_status": {
            "new": 1,
            "acknowledged": 2,
            "investigating": 1,
            "reopened": 0,
            "resolved": 5,
            "closed": 3,
        },
        "by_severity": {"low": 3, "medium": 5, "high": 3, "critical": 1},
        "by_category": [
            {"category": "defect", "name": "Defect / nonconformance", "incidents": 6, "open": 2},
            {"category": "late-delivery", "name": "Late delivery", "incidents": 4, "open": 1},
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
