"""Charts drawn on the server as accessible SVG, put inline in the page.

pygal (a maintained SVG charting library) draws them; what it adds for its own
interactive mode goes: its script and its stylesheet (the page's Content-Security-Policy
allows neither inline scripts without a nonce nor inline styles — the colours are in
``directory/static/insights.css``), its tooltips and comments. Each chart then gets
``role="img"``, an ``aria-label``, and a ``<title>`` and ``<desc>`` of its own; the
numbers themselves are in the data table every page puts beside its chart, which is
what a screen reader reads (and where a suppressed count says "fewer than 5").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from xml.etree import ElementTree as ET

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal puts a finder for its map plugins (pygal.maps.*, not used here) on sys.meta_path
# with only Python 2's find_module, so Python 3.11 warns (ImportWarning) at every import
# that reaches it; the tests treat warnings as errors. Take it off again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
# pygal's own parts for its interactive mode, dropped from the page.
DROPPED = {f"{{{SVG}}}{tag}" for tag in ("script", "style", "title", "desc")}
CHART_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
# The type sizes of directory/static/charts.css: pygal leaves room for labels by them.
TYPE = Style(
    font_family="Arial, sans-serif",
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=16,
    no_data_font_size=32,
)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    horizontal: bool = False,
) -> Markup:
    """A bar chart as inline SVG: one group of bars per label, one bar per series.

    ``chart_id`` (lowercase letters, digits and hyphens) names the chart and its title
    and description; a value of None (a suppressed count) draws no bar.
    """
    if not CHART_ID.match(chart_id):
        raise ValueError(f"not a chart id: {chart_id!r}")
    chart_type = pygal.HorizontalBar if horizontal else pygal.Bar
    if horizontal:  # pygal draws the first label at the bottom; the table starts at the top
        labels = list(reversed(labels))
        series = [(name, list(reversed(values))) for name, values in series]
    chart = chart_type(
        style=TYPE,
        js=[],
        disable_xml_declaration=True,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=max(1, len(series)),
        width=600,
        height=90 + 32 * len(labels) * max(1, len(series)) if horizontal else 360,
        x_label_rotation=0 if horizontal or len(labels) <= 6 else 30,
        truncate_label=-1,
        truncate_legend=-1,
        no_data_text="Nothing to show",
        min_scale=1,
        max_scale=6,
        order_min=0,  # counts: whole numbers on the axis
        print_values=False,
        margin=16,
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return Markup(_accessible(chart.render(is_unicode=True), chart_id, title, description))


def _accessible(svg: str, chart_id: str, title: str, description: str) -> str:
    """The chart without pygal's script, styles and tooltips, with a title and description."""
    root = ET.fromstring(svg)  # pygal's own output, not untrusted input
    for parent in root.iter():
        for child in list(parent):
            if child.tag in DROPPED or not isinstance(child.tag, str):
                parent.remove(child)
        parent.attrib.pop("style", None)
        parent.attrib.pop("id", None)  # pygal's ids repeat from chart to chart
    root.attrib.update(
        {
            "id": chart_id,
            "class": "civic-chart pygal-chart",
            "role": "img",
            "aria-label": title,
            "aria-describedby": f"{chart_id}-desc",
            "focusable": "false",
        }
    )
    desc = ET.Element(f"{{{SVG}}}desc", {"id": f"{chart_id}-desc"})
    desc.text = description
    heading = ET.Element(f"{{{SVG}}}title", {"id": f"{chart_id}-title"})
    heading.text = title
    root.insert(0, desc)
    root.insert(0, heading)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)
