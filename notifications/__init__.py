"""The response loop's voice: a person's inbox, e-mail and preferences, fed by the IncidentEvent
outbox."""
