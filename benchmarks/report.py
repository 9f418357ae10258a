"""Shared pieces of the benchmarks: percentiles, Markdown tables, saved results."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""

    def markdown(self) -> str:
        """The table as Markdown."""
        lines = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]  # fmt: skip
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)


def save_results(name: str, data: dict[str, Any]) -> Path:
    """Write raw figures to benchmarks/results/NAME.json (git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = "#228be6"


def bar_chart_svg(title: str, bars: list[Bar], unit: str, width: int = 640) -> str:
    """A horizontal bar chart as a standalone SVG (no plotting library needed)."""
    row, left, top = 34, 260, 40
    height = top + row * len(bars) + 20
    peak = max((b.value for b in bars), default=1) or 1
    span = width - left - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="24" font-size="15" font-weight="600">{_xml(title)}</text>',
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        w = max(1.0, bar.value / peak * span)
        parts += [
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{_xml(bar.label)}</text>',
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="20" rx="3" fill="{bar.color}"/>',
            f'<text x="{left + w + 6:.1f}" y="{y + 19}">{bar.value:,.1f} {_xml(unit)}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
