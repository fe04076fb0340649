"""Bar charts as inline SVG, drawn on the server: nothing is loaded from elsewhere (the office
network may have no internet) and no script runs. Each chart has a text title for screen
readers, and the page gives the same figures as a table beside it."""

from __future__ import annotations

from markupsafe import Markup, escape

from drivebot.web.figures import Chart

_ROW, _LABEL, _BAR = 30, 170, 190  # a bar's height, the labels' width, the longest bar


def bar_chart(chart: Chart, title: str) -> Markup:
    height = max(len(chart.bars), 1) * _ROW + 8
    most = max((bar.value for bar in chart.bars), default=0) or 1
    rows = []
    for n, bar in enumerate(chart.bars):
        y = n * _ROW + 4
        width = max(bar.value / most * _BAR, 1 if bar.value else 0)
        rows.append(
            f'<text x="{_LABEL - 8}" y="{y + 20}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{_LABEL}" y="{y + 3}" width="{width:.1f}" height="{_ROW - 8}" rx="3"/>'
            f'<text x="{_LABEL + width + 6:.1f}" y="{y + 20}">{escape(bar.shown)}</text>'
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {_LABEL + _BAR + 60} {height}" role="img"'
        f' aria-labelledby="chart-{chart.key}"><title id="chart-{chart.key}">{escape(title)}'
        f"</title>{''.join(rows)}</svg>"
    )
