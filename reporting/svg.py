"""Charts as inline SVG strings: no JavaScript, no fonts or files to download.

Every text that reaches the markup goes through :func:`esc`; numbers are formatted here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

RAG_COLOURS = {"Green": "#2e7d32", "Amber": "#f9a825", "Red": "#c62828", None: "#9e9e9e"}
SERIES_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")
FONT = "font-family='sans-serif' font-size='11'"


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{esc(label)}' "
        f"viewBox='0 0 {width} {height}' width='{width}' height='{height}' class='chart'>"
        f"<title>{esc(label)}</title>{body}</svg>"
    )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    colour: str = SERIES_COLOURS[0]
    href: str | None = None


def scatter(
    points: Sequence[Point],
    x_label: str,
    y_label: str,
    title: str,
    reference: tuple[float, float] | None = (1.0, 1.0),
    width: int = 560,
    height: int = 400,
) -> str:
    """Scatter plot with optional reference lines (e.g. CPI = 1 and SPI = 1)."""
    if not points:
        return _svg(width, 60, f"<text x='10' y='30' {FONT}>no data</text>", title)
    left, right, top, bottom = 56, 16, 16, 44
    xs = [p.x for p in points] + ([reference[0]] if reference else [])
    ys = [p.y for p in points] + ([reference[1]] if reference else [])
    x_ticks, y_ticks = _ticks(min(xs), max(xs)), _ticks(min(ys), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + (v - x0) / ((x1 - x0) or 1) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (v - y0) / ((y1 - y0) or 1) * plot_h

    parts = [f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='#fafafa'/>"]
    for t in x_ticks:
        parts.append(
            f"<line x1='{sx(t):.1f}' y1='{top}' x2='{sx(t):.1f}' y2='{top + plot_h}' "
            f"stroke='#e0e0e0'/><text x='{sx(t):.1f}' y='{top + plot_h + 14}' "
            f"text-anchor='middle' {FONT}>{esc(_num(t))}</text>"
        )
    for t in y_ticks:
        parts.append(
            f"<line x1='{left}' y1='{sy(t):.1f}' x2='{left + plot_w}' y2='{sy(t):.1f}' "
            f"stroke='#e0e0e0'/><text x='{left - 6}' y='{sy(t) + 4:.1f}' text-anchor='end' "
            f"{FONT}>{esc(_num(t))}</text>"
        )
    if reference:
        parts.append(
            f"<line x1='{sx(reference[0]):.1f}' y1='{top}' x2='{sx(reference[0]):.1f}' "
            f"y2='{top + plot_h}' stroke='#616161' stroke-dasharray='4 3'/>"
            f"<line x1='{left}' y1='{sy(reference[1]):.1f}' x2='{left + plot_w}' "
            f"y2='{sy(reference[1]):.1f}' stroke='#616161' stroke-dasharray='4 3'/>"
        )
    for p in points:
        dot = (
            f"<circle cx='{sx(p.x):.1f}' cy='{sy(p.y):.1f}' r='5' fill='{esc(p.colour)}' "
            f"fill-opacity='0.8' stroke='#333' stroke-width='0.5'><title>{esc(p.label)}</title>"
            f"</circle>"
        )
        parts.append(f"<a href='{esc(p.href)}'>{dot}</a>" if p.href else dot)
    parts.append(
        f"<text x='{left + plot_w / 2:.0f}' y='{height - 6}' text-anchor='middle' "
        f"{FONT}>{esc(x_label)}</text><text x='14' y='{top + plot_h / 2:.0f}' "
        f"text-anchor='middle' transform='rotate(-90 14 {top + plot_h / 2:.0f})' "
        f"{FONT}>{esc(y_label)}</text>"
    )
    return _svg(width, height, "".join(parts), title)


def hbar(
    items: Sequence[tuple[str, float]],
    title: str,
    colours: Sequence[str] | None = None,
    width: int = 560,
    value_format: str = "{:,.0f}",
) -> str:
    """Horizontal bars, one per (label, value), labelled with the value."""
    if not items:
        return _svg(width, 40, f"<text x='10' y='24' {FONT}>none</text>", title)
    row, label_w, value_w = 20, 250, 80
    height = row * len(items) + 8
    top_value = max((abs(v) for _, v in items), default=1) or 1
    bar_w = width - label_w - value_w
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        colour = colours[i] if colours else SERIES_COLOURS[0]
        length = abs(value) / top_value * bar_w
        parts.append(
            f"<text x='{label_w - 6}' y='{y + 13}' text-anchor='end' {FONT}>"
            f"{esc(label[:40])}</text><rect x='{label_w}' y='{y + 2}' width='{length:.1f}' "
            f"height='{row - 6}' fill='{esc(colour)}'><title>{esc(label)}: "
            f"{esc(value_format.format(value))}</title></rect><text x='{label_w + length + 4:.1f}'"
            f" y='{y + 13}' {FONT}>{esc(value_format.format(value))}</text>"
        )
    return _svg(width, height, "".join(parts), title)


def lines(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    y_label: str = "",
    width: int = 640,
    height: int = 300,
) -> str:
    """Line chart of several series over categorical x values, with a legend."""
    values = [v for s in series.values() for v in s if v is not None]
    if not x_labels or not values:
        return _svg(width, 40, f"<text x='10' y='24' {FONT}>no data</text>", title)
    left, right, top, bottom = 64, 40, 28, 48
    ticks = _ticks(min(0.0, min(values)), max(values))
    y0, y1 = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(x_labels) - 1, 1)

    def sy(v: float) -> float:
        return top + plot_h - (v - y0) / ((y1 - y0) or 1) * plot_h

    parts = []
    for t in ticks:
        parts.append(
            f"<line x1='{left}' y1='{sy(t):.1f}' x2='{left + plot_w}' y2='{sy(t):.1f}' "
            f"stroke='#e0e0e0'/><text x='{left - 6}' y='{sy(t) + 4:.1f}' text-anchor='end' "
            f"{FONT}>{esc(_num(t))}</text>"
        )
    every = max(1, math.ceil(len(x_labels) * 56 / plot_w))  # ~56 px per date label
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f"<text x='{left + i * step:.1f}' y='{top + plot_h + 16}' text-anchor='middle' "
                f"{FONT}>{esc(label)}</text>"
            )
    for n, (name, data) in enumerate(series.items()):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        coords = [f"{left + i * step:.1f},{sy(v):.1f}" for i, v in enumerate(data) if v is not None]
        if len(coords) > 1:
            parts.append(
                f"<polyline points='{' '.join(coords)}' fill='none' stroke='{colour}' "
                f"stroke-width='2'/>"
            )
        for i, v in enumerate(data):
            if v is not None:
                parts.append(
                    f"<circle cx='{left + i * step:.1f}' cy='{sy(v):.1f}' r='3' fill='{colour}'>"
                    f"<title>{esc(name)} {esc(x_labels[i])}: {esc(_num(v))}</title></circle>"
                )
        parts.append(
            f"<rect x='{left + n * 150}' y='6' width='12' height='12' fill='{colour}'/>"
            f"<text x='{left + n * 150 + 16}' y='16' {FONT}>{esc(name)}</text>"
        )
    if y_label:
        parts.append(
            f"<text x='12' y='{top + plot_h / 2:.0f}' text-anchor='middle' "
            f"transform='rotate(-90 12 {top + plot_h / 2:.0f})' {FONT}>{esc(y_label)}</text>"
        )
    return _svg(width, height, "".join(parts), title)


def heatmap(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: dict[tuple[str, str], float | None],
    title: str,
    value_format: str = "{:.0%}",
) -> str:
    """Grid of cells coloured by value (0 = white, 1 = blue, above 1 = red: overbooked)."""
    if not row_labels or not column_labels:
        return _svg(400, 40, f"<text x='10' y='24' {FONT}>no data</text>", title)
    cell_w, cell_h, label_w, head_h = 34, 16, 170, 60
    width = label_w + cell_w * len(column_labels) + 10
    height = head_h + cell_h * len(row_labels) + 10
    parts = []
    for j, column in enumerate(column_labels):
        x = label_w + j * cell_w + cell_w / 2
        parts.append(
            f"<text x='{x:.0f}' y='{head_h - 6}' transform='rotate(-60 {x:.0f} {head_h - 6})' "
            f"{FONT}>{esc(column)}</text>"
        )
    for i, row in enumerate(row_labels):
        y = head_h + i * cell_h
        parts.append(
            f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end' {FONT}>{esc(row[:30])}</text>"
        )
        for j, column in enumerate(column_labels):
            value = values.get((row, column))
            fill = _heat_colour(value)
            text = "n/a" if value is None else value_format.format(value)
            parts.append(
                f"<rect x='{label_w + j * cell_w}' y='{y}' width='{cell_w - 1}' "
                f"height='{cell_h - 1}' fill='{fill}'><title>{esc(row)} {esc(column)}: "
                f"{esc(text)}</title></rect>"
            )
            if value is not None:
                ink = "#fff" if value > 0.55 else "#212121"
                parts.append(
                    f"<text x='{label_w + j * cell_w + cell_w / 2 - 0.5:.1f}' y='{y + 11.5}' "
                    f"text-anchor='middle' font-family='sans-serif' font-size='8.5' "
                    f"fill='{ink}'>{esc(text)}</text>"
                )
    return _svg(width, height, "".join(parts), title)


def _heat_colour(value: float | None) -> str:
    """White (0) to blue (1 = fully booked), then blue to red (1.5 and more: overbooked)."""
    if value is None:
        return "#f5f5f5"
    if value <= 1:
        t = max(0.0, value)
        return f"rgb({int(255 - 230 * t)},{int(255 - 160 * t)},{int(255 - 45 * t)})"
    t = min(1.0, (value - 1) / 0.5)
    return f"rgb({int(25 + 173 * t)},{int(95 - 55 * t)},{int(210 - 170 * t)})"
