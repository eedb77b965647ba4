"""What a notification says to its recipient: built from the incidents' presenters with the
recipient's Viewer, so nothing reaches a person that the incident's pages would not show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.text import Truncator

from incidents.models import Incident, IncidentEvent, MonitorAlert, Reply, Response
from incidents.presenters import answer_view, incident_view, reply_view, timeline_entry
from supplierwatch.viewers import Viewer

from .models import Kind

ANSWER_EXCERPT_WORDS = 60


@dataclass(frozen=True)
class Content:
    title: str
    text: str
    url: str
    shown_at: datetime
    shown_to_the_hour: bool


def _headline(
    kind: str, event: IncidentEvent, status_label: str, supplier: str, *, yours: bool
) -> str:
    if kind == Kind.NEW_INCIDENT and event.kind == IncidentEvent.Kind.SPLIT_FROM:
        return "New incident, split out, assigned to you" if yours else "New incident, split out"
    if kind == Kind.MERGED:
        moved: dict[str, str] = {
            IncidentEvent.Kind.MERGED: "Merged",
            IncidentEvent.Kind.SPLIT: "Split",
        }
        return moved.get(event.kind, "Split out")
    if kind == Kind.NEW_INCIDENT:
        if event.kind != IncidentEvent.Kind.CREATED:
            return "Reopened"
        # A rule's assignment is told with the new incident: say whose it is.
        return "New incident, assigned to you" if yours else "New incident"
    if kind == Kind.ASSIGNED:
        return "Assigned to you"
    if kind == Kind.NEW_EVIDENCE:
        return "New evidence"
    if kind == Kind.SPIKE:
        return "Spike"
    if kind == Kind.SLA_WARNING:
        return "SLA about to be breached"
    if kind == Kind.SLA_BREACHED:
        return "SLA breached"
    if kind == Kind.SUPPLIER_SPIKE:
        return f"Spike at {supplier}"
    if kind == Kind.BUYER_REPLY:
        return "A reporting buyer replied"
    if kind == Kind.RESOLUTION_REJECTED:
        return "Resolution rejected"
    if kind == Kind.ANSWER:
        return f"{supplier} answered"
    if kind == Kind.DISPUTE:
        return f"{supplier} disputes your report"
    if kind == Kind.DISPUTE_DECIDED:
        accepted = event.kind == IncidentEvent.Kind.DISPUTE_ACCEPTED
        return "Dispute accepted" if accepted else "Dispute rejected"
    return status_label


def incident_url(incident: Incident, viewer: Viewer) -> str:
    """The incident page this viewer uses: the portal's for the supplier's staff."""
    name = "portal-incident" if viewer.is_supplier_staff else "incident-detail"
    return reverse(name, args=[incident.pk])


def notification_content(
    *,
    kind: str,
    event: IncidentEvent,
    incident: Incident,
    viewer: Viewer,
    response: Response | None = None,
    reply: Reply | None = None,
) -> Content:
    """The title (the e-mail's subject), the text and the link of a notification for `viewer`."""
    view = incident_view(incident, viewer)
    entry = timeline_entry(event, viewer, view.supplier.name)
    yours = viewer.user_id is not None and incident.assignee_id == viewer.user_id
    headline = _headline(kind, event, view.status_label, view.supplier.name, yours=yours)
    # Who did it, as the timeline names them to this viewer (the supplier's own staff only).
    # Not for a buyer's act, whose sentence already says who ("A reporting organization ...").
    names_its_actor = (
        event.kind
        in (
            IncidentEvent.Kind.BUYER_REPLY,
            IncidentEvent.Kind.RESOLUTION_ACCEPTED,
            # Its sentence says who decided (an operator, or the reporting organization).
            IncidentEvent.Kind.DISPUTE_ACCEPTED,
            IncidentEvent.Kind.DISPUTE_REJECTED,
        )
        or (event.data or {}).get("by") == "rejection"
    )
    by = (
        f" By {entry.actor}."
        if entry.actor and event.actor_id is not None and not names_its_actor
        else ""
    )
    lines = [entry.text + by]
    if entry.note:
        lines.append(entry.note)
    if response is not None:
        lines.append(Truncator(answer_view(response, viewer).body).words(ANSWER_EXCERPT_WORDS))
    if reply is not None:
        lines.append(Truncator(reply_view(reply, viewer).body).words(ANSWER_EXCERPT_WORDS))
    title = Truncator(f"{headline}: #{view.id} {view.title}").chars(255)
    return Content(
        title=title,
        text="\n\n".join(lines),
        url=incident_url(incident, viewer),
        shown_at=entry.when,
        shown_to_the_hour=entry.when_to_the_hour,
    )


def monitor_alert_content(alert: MonitorAlert) -> Content:
    """What a jump in a keyword monitor's volume says: the same to each of its party's watchers,
    who all may see the monitor and the public posts it found."""
    monitor = alert.monitor
    expected = f"about {alert.expected:.0f}" if alert.expected >= 0.5 else "almost none"
    return Content(
        title=Truncator(
            f"Keyword monitor \u201c{monitor.name}\u201d: {alert.count} posts in an hour"
        ).chars(255),
        text=(
            f"The monitor \u201c{monitor.name}\u201d ({monitor.query}) found {alert.count} public "
            f"posts in the hour to {alert.window_end:%Y-%m-%d %H:%M} UTC, where its last week "
            f"would lead one to expect {expected}."
        ),
        url=reverse("monitor-detail", args=[monitor.pk]),
        shown_at=alert.window_end,
        shown_to_the_hour=False,
    )
