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


class CountedPoints(list):
    """A chart's points that count how often they are read through."""

    reads = 0

    def __iter__(self):
        CountedPoints.reads += 1
        return super().__iter__()


def test_a_chart_of_years_reads_its_points_a_few_times_not_once_per_bar():
    """An incident of eleven years is charted by week: its summary (shown twice on the page)
    finds the busiest week in one pass, not one pass per week it looks at."""
    from incidents.charts import BarChart

    points = CountedPoints((f"week {n}", n % 7) for n in range(600))
    chart = BarChart("Evidence per week", "reports and posts", points, "week")
    CountedPoints.reads = 0

    assert chart.summary.endswith("the most in one week: 6 (week 6).")
    assert CountedPoints.reads <= 4


def test_a_chart_draws_a_bar_for_each_period_with_evidence_and_a_row_for_every_period():
    from django.template.loader import render_to_string

    from incidents.charts import BarChart

    chart = BarChart("Evidence per day", "reports", [("2026-11-01", 2), ("2026-11-02", 0)])
    html = render_to_string("incidents/_bar_chart.html", {"chart": chart, "chart_id": "c"})

    assert html.count('<rect class="b-bar"') == 1
    assert (
        '<rect class="b-bar" x="2.0" y="1.0" width="396.0" height="149.0">'
        "<title>2026-11-01: 2</title></rect>"
    ) in html
    assert "<tr><td>2026-11-01</td><td>2</td></tr><tr><td>2026-11-02</td><td>0</td></tr>" in html


def test_a_chart_escapes_its_labels_in_bars_and_rows():
    from django.template.loader import render_to_string

    from incidents.charts import BarChart

    chart = BarChart("Evidence", "reports", [("<b>week</b> & co", 1)])
    html = render_to_string("incidents/_bar_chart.html", {"chart": chart, "chart_id": "c"})

    assert "<b>week" not in html
    assert "<title>&lt;b&gt;week&lt;/b&gt; &amp; co: 1</title>" in html
    assert "<tr><td>&lt;b&gt;week&lt;/b&gt; &amp; co</td><td>1</td></tr>" in html
