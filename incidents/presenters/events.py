"""The timeline as a viewer may read it: each event in plain words, who did it (to the supplier's own
staff), and what of its data may leave the product (the API and the webhooks).

Only whitelisted fields of an event's `data` are ever read: it also holds what the viewer may not
know (the ids of the posts added, which name no one but order evidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplierwatch.viewers import Viewer

from ..models import (
    FORMER_FIELDS,
    Discipline,
    Incident,
    IncidentEvent,
    Response,
    Severity,
    SlaAlert,
    to_the_hour,
)

Kind = IncidentEvent.Kind
# What changed an incident's severity, by the `by` of its event (a JSON value of any type).
_CHANGED_BY: dict[object, str] = {"report": " by a new report", "spike": " by a spike"}
# Why a supplier disputes evidence, by the `reason` of its dispute events.
_DISPUTE_REASONS: dict[object, str] = {
    "not_complaint": "not a complaint",
    "not_about_us": "not about it",
}
# What the other incident of a merge or a split is called in the API and the webhooks.
_OTHER_INCIDENT_KEY: dict[str, str] = {
    Kind.MERGED: "merged_incident_id",
    Kind.MERGED_INTO: "merged_into_id",
    Kind.SPLIT: "new_incident_id",
    Kind.SPLIT_FROM: "split_from_id",
}
# Why an incident went back to the team, by the `reason` of its assignment event.
_BACK_BECAUSE: dict[object, str] = {"left": "left the team", "viewer": "is now a viewer"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _status_label(value: object) -> str:
    return Incident.Status(value).label if value in Incident.Status.values else "unknown"


def _severity(value: object) -> Severity | None:
    try:
        return Severity(int(value))  # type: ignore[call-overload]  # a JSON value of any type
    except (TypeError, ValueError):
        return None


def discipline_name(value: object) -> str:
    """A discipline as every channel names it: "D4 Root cause"."""
    if value not in Discipline.values:
        return "A discipline"
    return f"{str(value).upper()} {Discipline(value).label}"


def _reporter(data: dict[str, Any], key: str, viewer: Viewer) -> str:
    """A reporting organization that acted, as this viewer may know it: never by name here (an
    anonymous reporter stays anonymous; a named one's reply names it in the replies list)."""
    if viewer.is_buyer and data.get(key) == viewer.organization_id:
        return "Your organization"
    return "A reporting organization"


def event_sentence(event: IncidentEvent, viewer: Viewer, supplier_name: str) -> str:
    """One event in plain words, from the fields this viewer may know."""
    data = event.data or {}
    kind = event.kind
    if kind == Kind.CREATED:
        return "Incident opened from new evidence."
    if kind == Kind.POST_ADDED:
        posts = int(data.get("posts") or 0)
        public = int(data.get("public_posts") or 0)
        text = f"{_plural(posts, 'new report')} added"
        return text + (f" ({_plural(public, 'public post')})." if public else ".")
    if kind == Kind.REOPENED:
        return "Reopened: new evidence arrived after it was resolved."
    if kind == Kind.SPIKE:
        # A spike found in imported history says so: it was no alert.
        return (
            f"Spike{' (history)' if data.get('history') else ''}: "
            f"{data.get('complaints_last_hour', 'many')} complaints in an hour, "
            f"about {data.get('expected', 0)} expected."
        )
    if kind == Kind.STATUS_CHANGED and data.get("by") == "rejection":
        who = _reporter(data, "rejected_by", viewer)
        return f"{who} rejected the resolution; the incident is open again."
    if kind == Kind.BUYER_REPLY:
        return f"{_reporter(data, 'reply_organization', viewer)} replied to {supplier_name}."
    if kind == Kind.RESOLUTION_ACCEPTED:
        return f"{_reporter(data, 'reply_organization', viewer)} accepted the resolution."
    if kind == Kind.STATUS_CHANGED:
        return (
            f"Status changed from {_status_label(data.get('from'))} "
            f"to {_status_label(data.get('to'))}."
        )
    if kind == Kind.SEVERITY_CHANGED:
        before, after = _severity(data.get("from")), _severity(data.get("to"))
        reason = _CHANGED_BY.get(data.get("by"), "")
        return (
            f"Severity changed from {before.label if before else 'unknown'} "
            f"to {after.label if after else 'unknown'}{reason}."
        )
    if kind == Kind.ASSIGNED:
        # Whom a supplier gives work to, and why, is its own business.
        if not data.get("assignee_id"):
            if viewer.sees_supplier_side and data.get("previous"):
                why = _BACK_BECAUSE.get(data.get("reason"), "may no longer act")
                return f"Back with the team: {data['previous']} {why}."
            return "No longer assigned to anybody."
        if viewer.sees_supplier_side:
            by_rule = f" by the rule “{data['rule']}”" if data.get("rule") else ""
            return f"Assigned to {data.get('assignee') or 'a colleague'}{by_rule}."
        return f"Assigned to a person at {supplier_name}."
    if kind == Kind.RESPONSE:
        if data.get("visibility") == Response.Visibility.ORGANIZATION:
            whom = "your organization" if viewer.is_buyer else "one reporting organization"
            return f"{supplier_name} answered {whom} privately."
        return f"{supplier_name} answered publicly."
    if kind == Kind.RESPONSE_EDITED:
        return "An answer was edited."
    if kind == Kind.ACTION_RECORDED:
        # Recorded before the 8D had disciplines: its fields are named by where they live now.
        fields = [name for name in data.get("fields") or [] if name in FORMER_FIELDS]
        names = [discipline_name(FORMER_FIELDS[name]) for name in fields]
        return f"8D updated: {', '.join(names) or 'no discipline'}."
    if kind == Kind.EIGHT_D:
        return _eight_d_sentence(data, viewer, supplier_name)
    if kind in IncidentEvent.SLA_KINDS:
        return _sla_sentence(kind, data)
    if kind == Kind.SLA_PAUSED:
        return (
            f"{supplier_name} asked the reporting buyers a question: the SLA clock is paused "
            "until one of them answers."
        )
    if kind == Kind.SLA_RESUMED:
        return "A reporting organization answered: the SLA clock runs again, due times moved on."
    if kind in IncidentEvent.DISPUTE_KINDS:
        return _dispute_sentence(kind, data, viewer, supplier_name)
    if kind in (*IncidentEvent.MERGE_KINDS, *IncidentEvent.SPLIT_KINDS):
        return _moved_sentence(kind, data)
    return event.get_kind_display() + "."


def _moved_sentence(kind: str, data: dict[str, Any]) -> str:
    """Evidence moved by a merge or a split: how much everyone may count, never whose."""
    other = f"#{data.get('other_id')}" if isinstance(data.get("other_id"), int) else "another"
    posts = int(data.get("posts") or 0)
    evidence = _plural(posts, "piece") + " of evidence"
    if kind == Kind.MERGED:
        return f"Incident {other} was merged into this one: its {evidence} moved here."
    if kind == Kind.MERGED_INTO:
        return f"Merged into incident {other}, where its {evidence} moved."
    if kind == Kind.SPLIT:
        return f"{evidence.capitalize()} split out into incident {other}."
    return f"Split out of incident {other}: {evidence} moved here."


_EIGHT_D_PARTS = {"text": "text", "due_on": "due date", "done_on": "done date"}


def _eight_d_sentence(data: dict[str, Any], viewer: Viewer, supplier_name: str) -> str:
    """A discipline's progress. Who owns it is the supplier's own business, like assignments."""
    name = discipline_name(data.get("discipline"))
    changed = [str(part) for part in data.get("changed") or []]
    if changed == ["owner"] and data.get("previous") and not data.get("owner_id"):
        if viewer.sees_supplier_side:
            why = _BACK_BECAUSE.get(data.get("reason"), "may no longer act")
            return f"{name}: owned by nobody now, {data['previous']} {why}."
        return f"{name}: owner changed."
    parts = [_EIGHT_D_PARTS[part] for part in changed if part in _EIGHT_D_PARTS]
    sentence = f"{name} updated" + (f" ({', '.join(parts)})" if parts else "")
    if "owner" in changed:
        if not viewer.sees_supplier_side:
            sentence += ", owner changed"
        elif data.get("owner"):
            sentence += f", owned by {data['owner']}"
        else:
            sentence += ", owned by nobody"
    if "done_on" in changed and data.get("done"):
        sentence += "; done"
    return sentence + "."


def _dispute_sentence(kind: str, data: dict[str, Any], viewer: Viewer, supplier_name: str) -> str:
    """Which evidence, by its kind only (never whose report: an anonymous reporter stays so)."""
    if data.get("evidence") == "buyer_report":
        mine = viewer.is_buyer and data.get("report_of") == viewer.organization_id
        evidence = "a report of your organization" if mine else "a buyer report"
    else:
        evidence = "a public post"
    reason = _DISPUTE_REASONS.get(data.get("reason"), "not evidence against it")
    if kind == Kind.DISPUTE_OPENED:
        return (
            f"{supplier_name} disputes {evidence}: {reason}. "
            "It stays counted until the dispute is decided."
        )
    if data.get("decided_by") == "operator":
        who = "An operator"
    elif viewer.is_buyer and data.get("report_of") == viewer.organization_id:
        who = "Your organization"
    else:
        who = "The reporting organization"
    if kind == Kind.DISPUTE_ACCEPTED:
        return f"{who} accepted the dispute of {evidence}; it no longer counts against {supplier_name}."
    return f"{who} rejected the dispute of {evidence}; it stays counted against {supplier_name}."


def _sla_sentence(kind: str, data: dict[str, Any]) -> str:
    value = data.get("promise")
    promise = SlaAlert.Promise(value).label if value in SlaAlert.Promise.values else "An answer"
    try:
        due = datetime.fromisoformat(str(data.get("due_at"))).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        due = "its due time"
    if kind == Kind.SLA_WARNING:
        return f"SLA about to be breached: {promise.lower()} due by {due}."
    return f"SLA breached: {promise.lower()} was due by {due}."


def event_note(event: IncidentEvent, viewer: Viewer) -> str:
    """The words a person wrote with the event (a resolution note, a rejection's reason), shown
    beside its sentence. A rejection's reason is for the supplier and its own organization."""
    if event.kind != Kind.STATUS_CHANGED:
        return ""
    data = event.data or {}
    if data.get("by") == "rejection":
        mine = viewer.is_buyer and data.get("rejected_by") == viewer.organization_id
        return str(data.get("reason") or "").strip() if viewer.sees_supplier_side or mine else ""
    return str(data.get("note") or "").strip()


def event_actor(event: IncidentEvent, viewer: Viewer) -> str:
    """Who did it, for the supplier's own staff: colleagues by name, everyone else by role.
    Buyers are never told who at the supplier acted: the supplier acts as one."""
    if not viewer.sees_supplier_side:
        return ""
    actor = event.actor
    if actor is None:
        if event.kind == Kind.ASSIGNED and (event.data or {}).get("rule"):
            return "an assignment rule"
        return "spike detection" if event.kind == Kind.SPIKE else "supplierwatch"
    if viewer.is_operator:
        return actor.display_name
    party = actor.party
    if party is not None and party.supplier_id == viewer.supplier_id:
        return actor.display_name
    if actor.is_staff:
        return "supplierwatch operator"
    if party is not None and party.organization_id is not None:
        return "a reporting organization"  # never which: an anonymous reporter stays anonymous
    return "a former colleague" if party is None else "someone outside your team"


def event_data(event: IncidentEvent, viewer: Viewer) -> dict[str, Any]:
    """What of an event's data may leave the product (API timelines, webhook payloads)."""
    data = event.data or {}
    kind = event.kind
    if kind == Kind.POST_ADDED:
        return {"posts": data.get("posts", 0), "public_posts": data.get("public_posts", 0)}
    if kind == Kind.SPIKE:
        # Spikes count only evidence everyone may count (never a private report).
        return {
            "complaints_last_hour": data.get("complaints_last_hour"),
            "expected": data.get("expected"),
            "history": bool(data.get("history")),
        }
    if kind == Kind.STATUS_CHANGED:
        result = {"from": data.get("from"), "to": data.get("to")}
        if data.get("by") == "rejection":
            result["rejected"] = True
        if note := event_note(event, viewer):
            result["reason" if data.get("by") == "rejection" else "note"] = note
        return result
    if kind == Kind.BUYER_REPLY:
        return {"reply_id": data.get("reply_id")}
    if kind == Kind.SEVERITY_CHANGED:
        before, after = _severity(data.get("from")), _severity(data.get("to"))
        return {
            "from": before.slug if before else None,
            "to": after.slug if after else None,
        }
    if kind == Kind.ASSIGNED:
        if not viewer.sees_supplier_side:
            return {}
        # Why, when no person chose: the rule that did, or the reason it went back to the team.
        extra = {key: data[key] for key in ("rule", "reason") if data.get(key)}
        return {"assignee": data.get("assignee"), **extra}
    if kind in IncidentEvent.ANSWER_KINDS:
        return {"response_id": data.get("response_id"), "visibility": data.get("visibility")}
    if kind == Kind.ACTION_RECORDED:
        return {"fields": list(data.get("fields", []))}
    if kind == Kind.EIGHT_D:
        result = {
            "discipline": data.get("discipline"),
            "changed": list(data.get("changed") or []),
            "done": bool(data.get("done")),
        }
        if viewer.sees_supplier_side:
            # The owner's name, and why a discipline went back to nobody: the supplier's own.
            extra = {key: data[key] for key in ("reason",) if data.get(key)}
            result |= {"owner": data.get("owner"), **extra}
        return result
    if kind in IncidentEvent.SLA_KINDS:
        return {"promise": data.get("promise"), "due_at": data.get("due_at")}
    if kind == Kind.SLA_RESUMED:
        # The due times as the clocks' running again moved them (shown on the incident anyway).
        return {key: data.get(key) for key in ("acknowledge_due_at", "resolve_due_at")}
    if kind in (*IncidentEvent.MERGE_KINDS, *IncidentEvent.SPLIT_KINDS):
        key = _OTHER_INCIDENT_KEY[kind]
        return {
            key: data.get("other_id"),
            "posts": data.get("posts", 0),
            "public_posts": data.get("public_posts", 0),
        }
    if kind in IncidentEvent.DISPUTE_KINDS:
        result = {key: data.get(key) for key in ("dispute_id", "reason", "evidence")}
        if kind != Kind.DISPUTE_OPENED:
            result["decided_by"] = data.get("decided_by")
        return result
    return {}


def event_time(event: IncidentEvent, viewer: Viewer) -> datetime:
    """When it happened, to the hour if it brought reports whose reporters the viewer may not know
    (IncidentEvent.hides_time_from): their exact time would pair them with named evidence. The
    timelines are ordered by the same time (IncidentEventQuerySet.with_shown_time)."""
    if event.hides_time_from(viewer):
        return to_the_hour(event.created_at)
    return event.created_at


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    when_to_the_hour: bool
    kind: str
    text: str
    note: str
    actor: str


def timeline_entry(event: IncidentEvent, viewer: Viewer, supplier_name: str) -> TimelineEntry:
    """An event (one the viewer may see: selectors.incident_timeline) in plain words."""
    return TimelineEntry(
        when=event_time(event, viewer),
        when_to_the_hour=event.hides_time_from(viewer),
        kind=event.kind,
        text=event_sentence(event, viewer, supplier_name),
        note=event_note(event, viewer),
        actor=event_actor(event, viewer),
    )
