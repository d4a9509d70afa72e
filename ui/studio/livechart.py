"""The live loss charts: small SVG pictures drawn on the server, cheap for the browser to show.

While a run goes the charts change every couple of seconds. A Plotly chart costs
the browser a new plot each time (about a fifth of a second of a core on this
project's machine, two charts at a time), and the browser shares the two cores
with the optimisation. An SVG of a few polylines costs almost nothing to make
(pure Python, ~1 ms) or to show (an image). After the run, the same curves are
drawn again as the interactive Plotly charts (:mod:`ui.studio.charts`).

Same content as the Plotly charts: x is the iteration (the whole run's range, so
the curves grow from left to right), y is on a log scale labelled with whole
values, a dashed line marks where a multi-scale run enlarges the image.
"""
from __future__ import annotations

import math
from html import escape
from typing import Sequence

from ui.studio.charts import COLORS, LAYER_COLORS, scale_switches

W, H = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 30, 30


def _tick_text(value: float) -> str:
    if 1e-3 <= value < 1e5:
        return f"{value:g}"
    return f"1e{round(math.log10(value))}"


def _series_svg(series: Sequence[tuple[str, str, list[tuple[float, float]], str]], title: str, x_max: float,
                switches: Sequence[tuple[float, int]], legend_rows: int = 1) -> str:
    """series: (name, colour, [(x, y>0)], dash) -> an SVG document (log y)."""
    legend_h = 18 * legend_rows
    top = TOP + legend_h + 4
    height = H + legend_h
    ys = [y for _, _, pts, _ in series for _, y in pts]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{height}" fill="white"/>',
             f'<text x="4" y="16" font-size="14" fill="#222">{escape(title)}</text>']
    pw, ph = W - LEFT - RIGHT, height - top - BOTTOM
    x_max = max(2.0, float(x_max))
    sx = lambda x: LEFT + (x - 1) / (x_max - 1) * pw
    if ys:
        lo, hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        if hi == lo:
            hi += 1
        sy = lambda y: top + (hi - math.log10(y)) / (hi - lo) * ph
        step = max(1, math.ceil((hi - lo) / 6))
        for e in range(lo, hi + 1, step):
            y = sy(10.0 ** e)
            parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                         f'{_tick_text(10.0 ** e)}</text>')
    for k in range(5):
        x = 1 + (x_max - 1) * k / 4
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{round(x)} it</text>')
    parts.append(f'<rect x="{LEFT}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>')
    for x, scale in switches:
        if 1 <= x <= x_max:
            parts.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{top}" y2="{top + ph}" stroke="#888" '
                         f'stroke-dasharray="4 3"/>')
            parts.append(f'<text x="{sx(x) + 3:.1f}" y="{top + 12}" fill="#555" font-size="11">'
                         f'enlarged: scale {scale + 1}</text>')
    if ys:
        for name, colour, pts, dash in series:
            if len(pts) >= 1:
                d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
                width = 3 if name == "total L" else 2
                extra = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{extra}/>')
    # legend: under the title, in as many rows as asked
    per_row = math.ceil(len(series) / max(1, legend_rows)) or 1
    for n, (name, colour, _, dash) in enumerate(series):
        row, col = divmod(n, per_row)
        x = LEFT + col * (pw / per_row)
        y = TOP + row * 18 + 2
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="3"{extra}/>')
        parts.append(f'<text x="{x + 22:.1f}" y="{y + 4:.1f}" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _points(rows: Sequence[dict], key: str, weight: float = 1.0) -> list[tuple[float, float]]:
    out = []
    for r in rows:
        v, x = r.get(key), r.get("iteration")
        if v is None or x is None:
            continue
        v = float(v) * weight
        if math.isfinite(v) and v > 0:
            out.append((float(x), v))
    return out


def loss_svg(rows: Sequence[dict], alpha: float, beta: float, tv_weight: float, total_iterations: int,
             switches: Sequence[tuple[float, int]] | None = None) -> str:
    """What the optimiser adds up, live: total L, α·L_content, β·L_style (and tv·L_tv)."""
    parts = [("total", 1.0, "total L"), ("content", alpha, "α·L_content"), ("style", beta, "β·L_style")]
    if tv_weight:
        parts.append(("tv", tv_weight, "tv·L_tv"))
    series = [(name, COLORS[key], _points(rows, key, w), "") for key, w, name in parts]
    return _series_svg(series, "Loss (what the optimiser minimises), live", total_iterations,
                       scale_switches(rows) if switches is None else switches)


def layer_svg(rows: Sequence[dict], total_iterations: int, switches: Sequence[tuple[float, int]] | None = None) -> str:
    """Every style layer's E_l (solid) and the content loss per content layer (dotted), live."""
    first = rows[0] if rows else {}
    keys = [k for k in first if k.startswith("style/")] + [k for k in first if k.startswith("content/")]
    series = []
    for n, key in enumerate(keys):
        kind, layer = key.split("/", 1)
        series.append((f"E {layer}" if kind == "style" else f"L_content {layer}",
                       LAYER_COLORS[n % len(LAYER_COLORS)], _points(rows, key), "2 3" if kind == "content" else ""))
    rows_needed = max(1, math.ceil(len(series) / 4))
    return _series_svg(series, "Per layer: style E_l (solid), content (dotted), live", total_iterations,
                       scale_switches(rows) if switches is None else switches, legend_rows=rows_needed)


def stacked_svg(*docs: str) -> str:
    """Several SVG documents one above the other, as one picture (one update for the page, not several)."""
    import re

    heights = [int(re.search(r'height="(\d+)"', d).group(1)) for d in docs]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {sum(heights)}" width="{W}" '
           f'height="{sum(heights)}">']
    y = 0
    for doc, h in zip(docs, heights):
        out.append(doc.replace("<svg ", f'<svg y="{y}" ', 1))
        y += h
    out.append("</svg>")
    return "".join(out)
