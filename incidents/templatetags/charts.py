"""{% chart_bars chart %} and {% chart_rows chart %}: the repeated parts of a bar chart
(templates/incidents/_bar_chart.html), written in one pass each. A chart of years has hundreds of
bars, and a template loop costs more per bar than the rest of the chart; so does format_html,
which escapes each number: only the labels are text to escape."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..charts import BarChart

register = template.Library()


@register.simple_tag
def chart_bars(chart: BarChart) -> SafeString:
    """An SVG rectangle for each bar with a value, titled with its label and value."""
    return mark_safe(  # noqa: S308 - numbers, and labels escaped
        "".join(
            f'<rect class="b-bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
            f'height="{bar.height}"><title>{escape(bar.label)}: {bar.value}</title></rect>'
            for bar in chart.bars
            if bar.value
        )
    )


@register.simple_tag
def chart_rows(chart: BarChart) -> SafeString:
    """A table row for each point: its label and its value."""
    return mark_safe(  # noqa: S308 - numbers, and labels escaped
        "".join(
            f"<tr><td>{escape(label)}</td><td>{value}</td></tr>" for label, value in chart.points
        )
    )
