"""{% chart_bars chart %} and {% chart_rows chart %}: the repeated parts of a bar chart
(templates/incidents/_bar_chart.html), written in one pass each. A chart of years has hundreds of
bars, and a template loop costs more per bar than the rest of the chart."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ..charts import BarChart

register = template.Library()


@register.simple_tag
def chart_bars(chart: BarChart) -> SafeString:
    """An SVG rectangle for each bar with a value, titled with its label and value."""
    return format_html_join(
        "",
        '<rect class="b-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>',
        (
            (bar.x, bar.y, bar.width, bar.height, bar.label, bar.value)
            for bar in chart.bars
            if bar.value
        ),
    )


@register.simple_tag
def chart_rows(chart: BarChart) -> SafeString:
    """A table row for each point: its label and its value."""
    return format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", chart.points)
