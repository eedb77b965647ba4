"""An incident's chart spans its evidence, not the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from incidents.models import Incident
from incidents.views.buyer import _incident_chart


def test_an_open_incident_of_history_is_charted_when_it_happened():
    incident = Incident(
        status=Incident.Status.NEW,
        first_seen_at=datetime(2015, 2, 17, 9, tzinfo=UTC),
        last_seen_at=datetime(2015, 2, 24, 11, tzinfo=UTC),
    )
    chart = _incident_chart(incident, {date(2015, 2, 17): 3, date(2015, 2, 24): 2})
    assert chart.period == "day"
    # Its last evidence ends the chart, which shows the two weeks up to it, not years to today.
    assert (chart.first_label, chart.last_label) == ("2015-02-11", "2015-02-24")
    assert chart.total == 5
