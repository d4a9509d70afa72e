"""A run's loss charts, iteration by iteration: interactive Plotly figures, and the same curves as
small SVG pictures for the live view. No Streamlit; the colours are :mod:`nst.viz`'s palette.

Rows are those of :class:`nst.pipeline.RunRecorder` (and of ``losses.csv``):
``iteration``, ``scale``, ``total``, ``content``, ``style``, ``tv``, ``content/<layer>``,
``style/<layer>``. The losses are stored unweighted; the first chart shows
what the optimiser adds up (alpha L_content, beta L_style, tv L_tv, total),
the second every style layer's E_l before its weight w_l (solid) and the content
loss per content layer (dotted). x is the iteration, y a log scale labelled with
whole values, and a dashed line marks where a multi-scale run enlarged its image.

Why two renderings: while a run goes the charts change every couple of seconds. A
Plotly chart costs the browser a new plot each time (about a fifth of a second of
a core on this project's machine, two charts at a time), and the browser shares
the two cores with the optimisation. An SVG of a few polylines costs almost
nothing to make (pure Python, ~1 ms) or to show (an image). After the run, the
same curves are drawn as the interactive Plotly charts.
"""
from __future__ import annotations

import math
import re
from html import escape
from typing import Sequence

import plotly.graph_objects as go

from .viz import COLORS, LAYER_COLORS


# --- the data: which curves, from which rows --------------------------------------------------------------
def scale_switches(rows: Sequence[dict]) -> list[tuple[float, int]]:
    """(iteration, new scale index) wherever a run moved on to its next, finer scale."""
    out, last = [], None
    for r in rows:
        try:
            scale = int(float(r.get("scale")))
        except (TypeError, ValueError):
            continue
        if last is not None and scale != last and r.get("iteration") is not None:
            # the switch lies between the last iteration of the coarse scale and this one
            out.append((float(r["iteration"]) - 0.5, scale))
        last = scale
    return out


def thin_rows(rows: Sequence[dict], points: int) -> list[dict]:
    """At most ``points`` rows, evenly spread, the first and the last always kept (a live chart's data).

    The curves keep their shape (the losses change smoothly from one iteration to the next);
    take the scale switches from all rows (``scale_switches``) before thinning.
    """
    n = len(rows)
    if n <= points or points < 2:
        return list(rows)
    step = (n - 1) / (points - 1)
    return [rows[round(i * step)] for i in range(points)]


def loss_curves(alpha: float, beta: float, tv_weight: float = 0.0) -> list[tuple[str, float, str]]:
    """(column, weight, legend name) of each curve of the loss chart: what the optimiser adds up."""
    curves = [("total", 1.0, "total L"), ("content", alpha, "α·L_content"), ("style", beta, "β·L_style")]
    if tv_weight:
        curves.append(("tv", tv_weight, "tv·L_tv"))
    return curves


def layer_curves(rows: Sequence[dict]) -> list[tuple[str, str, str, bool]]:
    """(column, legend name, colour, dotted) of each curve of the per-layer chart: every style layer's
    E_l, then the content loss of each content layer (dotted)."""
    first = rows[0] if rows else {}
    keys = [k for k in first if k.startswith("style/")] + [k for k in first if k.startswith("content/")]
    curves = []
    for n, key in enumerate(keys):
        kind, layer = key.split("/", 1)
        curves.append((key, f"E {layer}" if kind == "style" else f"L_content {layer}",
                       LAYER_COLORS[n % len(LAYER_COLORS)], kind == "content"))
    return curves


LOSS_TITLE = "Loss (what the optimiser minimises)"
LAYER_TITLE = "Per layer: style E_l (solid), content (dotted)"


# --- Plotly, after the run ----------------------------------------------------------------------------------
def _positive(values: Sequence[float]) -> list[float | None]:
    """Log axes cannot show 0 or NaN: leave a gap there instead."""
    return [v if (v is not None and math.isfinite(v) and v > 0) else None for v in values]


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0, font=dict(size=14)), height=height,
                      margin=dict(l=10, r=10, t=40, b=10),
                      # below the x-axis labels ("10 it"), however many rows the legend takes
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0),
                      hovermode="x unified")
    fig.update_xaxes(title=None, ticksuffix=" it")
    # whole values on the log axis (0.01, 1, 100), at most ~7 ticks: no bare minor ticks "2" and "5"
    ys = [y for trace in fig.data for y in (trace.y or ()) if y is not None and y > 0]
    decades = math.ceil(math.log10(max(ys))) - math.floor(math.log10(min(ys))) if ys else 1
    fig.update_yaxes(type="log", dtick=max(1, math.ceil(decades / 7)), exponentformat="none", tickformat="~g")
    return fig


def _mark_scales(fig: go.Figure, rows: Sequence[dict], label: bool,
                 switches: Sequence[tuple[float, int]] | None = None) -> None:
    """A dashed line where the image was enlarged to the next scale: the losses jump there
    because the same picture at twice the size has new, unoptimised detail."""
    for x, scale in scale_switches(rows) if switches is None else switches:
        fig.add_vline(x=x, line=dict(color=COLORS["guide"], width=1, dash="dash"))
        if label:
            fig.add_annotation(x=x, y=1, yref="paper", yanchor="top", xanchor="left", showarrow=False,
                               text=f" enlarged: scale {scale + 1}", font=dict(size=11, color=COLORS["label"]))


def loss_figure(rows: Sequence[dict], alpha: float, beta: float, tv_weight: float = 0.0,
                height: int = 300, switches: Sequence[tuple[float, int]] | None = None) -> go.Figure:
    """Total loss and its weighted parts: L = alpha L_content + beta L_style (+ tv L_tv); log y."""
    its = [r.get("iteration") for r in rows]
    fig = go.Figure()
    for key, weight, name in loss_curves(alpha, beta, tv_weight):
        ys = [(r.get(key) * weight) if r.get(key) is not None else None for r in rows]
        fig.add_trace(go.Scatter(x=its, y=_positive(ys), name=name, mode="lines",
                                 line=dict(color=COLORS[key], width=3 if key == "total" else 2)))
    _mark_scales(fig, rows, label=True, switches=switches)
    return _layout(fig, LOSS_TITLE, height)


def layer_figure(rows: Sequence[dict], height: int = 360,
                 switches: Sequence[tuple[float, int]] | None = None) -> go.Figure:
    """The style loss of every layer, E_l (before w_l), and the content loss per content layer; log y."""
    its = [r.get("iteration") for r in rows]
    fig = go.Figure()
    for key, name, colour, dotted in layer_curves(rows):
        fig.add_trace(go.Scatter(x=its, y=_positive([r.get(key) for r in rows]), name=name, mode="lines",
                                 line=dict(color=colour, dash="dot" if dotted else "solid")))
    _mark_scales(fig, rows, label=False, switches=switches)
    return _layout(fig, LAYER_TITLE, height)


# --- SVG, live ------------------------------------------------------------------------------------------------
SVG_W, SVG_H = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 30, 30


def _tick_text(value: float) -> str:
    if 1e-3 <= value < 1e5:
        return f"{value:g}"
    return f"1e{round(math.log10(value))}"


def _series_svg(series: Sequence[tuple[str, str, list[tuple[float, float]], str, int]], title: str, x_max: float,
                switches: Sequence[tuple[float, int]], legend_rows: int = 1) -> str:
    """series: (name, colour, [(x, y>0)], dash, width) -> an SVG document (log y)."""
    legend_h = 18 * legend_rows
    top = TOP + legend_h + 4
    height = SVG_H + legend_h
    ys = [y for _, _, pts, _, _ in series for _, y in pts]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {height}" width="{SVG_W}" '
             f'height="{height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{SVG_W}" height="{height}" fill="white"/>',
             f'<text x="4" y="16" font-size="14" fill="{COLORS["total"]}">{escape(title)}</text>']
    pw, ph = SVG_W - LEFT - RIGHT, height - top - BOTTOM
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
            parts.append(f'<line x1="{LEFT}" x2="{SVG_W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLORS["grid"]}"/>')
            parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{COLORS["label"]}">'
                         f'{_tick_text(10.0 ** e)}</text>')
    for k in range(5):
        x = 1 + (x_max - 1) * k / 4
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 10}" text-anchor="middle" fill="{COLORS["label"]}">'
                     f'{round(x)} it</text>')
    parts.append(f'<rect x="{LEFT}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="{COLORS["frame"]}"/>')
    for x, scale in switches:
        if 1 <= x <= x_max:
            parts.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{top}" y2="{top + ph}" '
                         f'stroke="{COLORS["guide"]}" stroke-dasharray="4 3"/>')
            parts.append(f'<text x="{sx(x) + 3:.1f}" y="{top + 12}" fill="{COLORS["label"]}" font-size="11">'
                         f'enlarged: scale {scale + 1}</text>')
    if ys:
        for name, colour, pts, dash, width in series:
            if len(pts) >= 1:
                d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
                extra = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{extra}/>')
    # legend: under the title, in as many rows as asked
    per_row = math.ceil(len(series) / max(1, legend_rows)) or 1
    for n, (name, colour, _, dash, _) in enumerate(series):
        row, col = divmod(n, per_row)
        x = LEFT + col * (pw / per_row)
        y = TOP + row * 18 + 2
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="3"{extra}/>')
        parts.append(f'<text x="{x + 22:.1f}" y="{y + 4:.1f}" fill="{COLORS["ink"]}">{escape(name)}</text>')
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
    series = [(name, COLORS[key], _points(rows, key, w), "", 3 if key == "total" else 2)
              for key, w, name in loss_curves(alpha, beta, tv_weight)]
    return _series_svg(series, f"{LOSS_TITLE}, live", total_iterations,
                       scale_switches(rows) if switches is None else switches)


def layer_svg(rows: Sequence[dict], total_iterations: int, switches: Sequence[tuple[float, int]] | None = None) -> str:
    """Every style layer's E_l (solid) and the content loss per content layer (dotted), live."""
    series = [(name, colour, _points(rows, key), "2 3" if dotted else "", 2)
              for key, name, colour, dotted in layer_curves(rows)]
    rows_needed = max(1, math.ceil(len(series) / 4))
    return _series_svg(series, f"{LAYER_TITLE}, live", total_iterations,
                       scale_switches(rows) if switches is None else switches, legend_rows=rows_needed)


def stacked_svg(*docs: str) -> str:
    """Several SVG documents one above the other, as one picture (one update for the page, not several)."""
    heights = [int(re.search(r'height="(\d+)"', d).group(1)) for d in docs]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {sum(heights)}" width="{SVG_W}" '
           f'height="{sum(heights)}">']
    y = 0
    for doc, h in zip(docs, heights):
        out.append(doc.replace("<svg ", f'<svg y="{y}" ', 1))
        y += h
    out.append("</svg>")
    return "".join(out)
