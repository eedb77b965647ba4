"""The API gives how long the first answer and the resolution took (presenters.IncidentView)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services

pytestmark = pytest.mark.django_db


def test_the_api_gives_the_times_in_seconds(api, world, carol):
    incident = world.incidents["initech"]
    incident.start_sla(timezone.now() - timedelta(hours=3))
    incident.save()
    services.incident_acknowledge(incident=incident, actor=carol)
    incident.refresh_from_db()
    body = api.client("acme").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["seconds_to_first_answer"] == int(incident.time_to_first_answer.total_seconds())
    assert body["seconds_to_resolution"] is None
