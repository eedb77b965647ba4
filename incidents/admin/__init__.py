"""The operators' admin of evidence and incidents. Every domain change goes through the services, so
an operator's change writes its event, recounts, reprocesses and keeps every invariant, exactly as
the same change made in the product would: fields with rules are read-only here and change through
actions (an incident's status, severity, assignee) or a save that calls a service (8D answers, an
answer's words, a post's fields)."""

from . import disputes, evidence, incidents, monitors, routing, scorecards, sla

__all__ = ["disputes", "evidence", "incidents", "monitors", "routing", "scorecards", "sla"]
