"""mkdocs hook: the benchmarks page shows the figures of ``benchmarks/README.md``, table and chart.

The figures have one home, the benchmarks README (``nox -s bench`` prints them; whoever re-runs it
updates that table). This hook copies its "Figures" section into ``docs/benchmarks.md`` where the
page says ``<!-- benchmark-figures -->``, and draws the S1 and S7 comparisons as an inline SVG
where it says ``<!-- benchmark-chart -->``. A table whose shape changed fails the docs build
rather than showing a stale or empty chart.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "benchmarks" / "README.md"
FIGURES_MARK = "<!-- benchmark-figures -->"
CHART_MARK = "<!-- benchmark-chart -->"


@dataclass(frozen=True)
class Figures:
    heading: str
    table: str
    s1_cbasync_s: float
    s1_cbapi_s: float
    s1_floor_s: float
    s7_cbasync_per_s: float
    s7_cbapi_per_s: float


def _number(pattern: str, text: str, what: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise ValueError(f"benchmarks/README.md: cannot read {what} from {text!r}")
    return float(found.group(1).replace(",", ""))


def read_figures(readme: str) -> Figures:
    """The "### Figures" section of the benchmarks README, and the numbers the chart draws."""
    match = re.search(r"^(### Figures[^\n]*)\n\n((?:\|[^\n]*\n)+)", readme, re.MULTILINE)
    if match is None:
        raise ValueError("benchmarks/README.md has no '### Figures' heading followed by a table")
    heading, table = match.group(1), match.group(2)
    rows = {
        cells[1]: cells
        for line in table.splitlines()
        if len(cells := [c.strip() for c in line.split("|")]) > 3
    }
    for scenario in ("S1", "S7"):
        if scenario not in rows:
            raise ValueError(f"benchmarks/README.md: the figures table has no {scenario} row")
    s1, s7 = rows["S1"], rows["S7"]
    return Figures(
        heading=heading.removeprefix("### "),
        table=table,
        s1_cbasync_s=_number(r"^([\d.,]+) s", s1[2], "S1's cbasync time"),
        s1_cbapi_s=_number(r"cbapi ([\d.,]+) s", s1[3], "S1's cbapi time"),
        s1_floor_s=_number(r"= ([\d.,]+) s\)", s1[4], "S1's floor"),
        s7_cbasync_per_s=_number(r"^([\d.,]+) processes/s", s7[2], "S7's cbasync rate"),
        s7_cbapi_per_s=_number(r"cbapi ([\d.,]+)/s", s7[3], "S7's cbapi rate"),
    )


def _bars(title: str, bars: list[tuple[str, float, str]], unit: str, y: int) -> str:
    """One group of horizontal bars: (label, value, colour)."""
    label_w, scale_w = 170, 380
    top = max(value for _, value, _ in bars)
    parts = [f'<text x="0" y="{y}" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, value, colour) in enumerate(bars):
        row = y + 14 + i * 26
        length = max(2.0, scale_w * value / top)
        shown = f"{value:,.2f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
        parts.append(f'<text x="0" y="{row + 14}">{html.escape(label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{row}" width="{length:.1f}" height="18" fill="{colour}"/>'
        )
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{row + 14}">{shown}</text>')
    return "".join(parts)


def chart(figures: Figures) -> str:
    """An SVG bar chart of S1 (wall time, lower is better) and S7 (throughput, higher is better)."""
    s1 = _bars(
        "S1: sweep 20,000 processes at 50 ms latency (seconds, lower is better)",
        [
            ("cbapi 2.0.0", figures.s1_cbapi_s, "#b0bec5"),
            ("cbasync", figures.s1_cbasync_s, "#1e88e5"),
            ("physical floor", figures.s1_floor_s, "#90caf9"),
        ],
        "s",
        16,
    )
    s7 = _bars(
        "S7: processes per second over 200,000, no latency (higher is better)",
        [
            ("cbapi 2.0.0", figures.s7_cbapi_per_s, "#b0bec5"),
            ("cbasync", figures.s7_cbasync_per_s, "#1e88e5"),
        ],
        "/s",
        130,
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 680 200" width="680" '
        'font-family="sans-serif" font-size="12" role="img" '
        'aria-label="benchmark chart: cbasync against cbapi">'
        f"{s1}{s7}</svg>"
    )


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if FIGURES_MARK not in markdown and CHART_MARK not in markdown:
        return markdown
    figures = read_figures(README.read_text(encoding="utf-8"))
    markdown = markdown.replace(FIGURES_MARK, f"**{figures.heading}**\n\n{figures.table}")
    return markdown.replace(CHART_MARK, f'<div class="benchmark-chart">{chart(figures)}</div>')
