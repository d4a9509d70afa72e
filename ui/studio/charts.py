"""Plotly figures of the studio: the loss terms of one run, iteration by iteration.

Rows are those of :class:`nst.pipeline.RunRecorder` (and of ``losses.csv``):
``iteration``, ``total``, ``content``, ``style``, ``tv``, ``content/<layer>``,
``style/<layer>``. The losses are stored unweighted; the first chart shows
what the optimiser adds up (alpha L_content, beta L_style, tv L_tv, total),
the second every style layer's E_l before its weight w_l.
"""
from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go

COLORS = {"total": "#222222", "content": "#1f77b4", "style": "#d62728", "tv": "#7f7f7f"}
LAYER_COLORS = ["#e6550d", "#fd8d3c", "#31a354", "#74c476", "#3182bd", "#6baed6", "#756bb1",
                "#9e9ac8", "#636363", "#969696", "#e7298a", "#66a61e", "#a6761d"]


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


def _mark_scales(fig: go.Figure, rows: Sequence[dict], label: bool,
                 switches: Sequence[tuple[float, int]] | None = None) -> None:
    """A dashed line where the image was enlarged to the next scale: the losses jump there
    because the same picture at twice the size has new, unoptimised detail."""
    for n, (x, scale) in enumerate(scale_switches(rows) if switches is None else switches):
        fig.add_vline(x=x, line=dict(color="#888888", width=1, dash="dash"))
        if label:
            fig.add_annotation(x=x, y=1, yref="paper", yanchor="top", xanchor="left", showarrow=False,
                               text=f" enlarged: scale {scale + 1}", font=dict(size=11, color="#555555"))


def loss_figure(rows: Sequence[dict], alpha: float, beta: float, tv_weight: float = 0.0,
                height: int = 300, switches: Sequence[tuple[float, int]] | None = None) -> go.Figure:
    """Total loss and its weighted parts: L = alpha L_content + beta L_style (+ tv L_tv); log y."""
    its = [r.get("iteration") for r in rows]
    fig = go.Figure()
    parts = [("total", 1.0, "total L"), ("content", alpha, "α·L_content"), ("style", beta, "β·L_style")]
    if tv_weight:
        parts.append(("tv", tv_weight, "tv·L_tv"))
    for key, weight, name in parts:
        ys = [(r.get(key) * weight) if r.get(key) is not None else None for r in rows]
        fig.add_trace(go.Scatter(x=its, y=_positive(ys), name=name, mode="lines",
                                 line=dict(color=COLORS[key], width=3 if key == "total" else 2)))
    _mark_scales(fig, rows, label=True, switches=switches)
    return _layout(fig, "Loss (what the optimiser minimises)", height)


def layer_figure(rows: Sequence[dict], height: int = 360,
                 switches: Sequence[tuple[float, int]] | None = None) -> go.Figure:
    """The style loss of every layer, E_l (before w_l), and the content loss per content layer; log y."""
    its = [r.get("iteration") for r in rows]
    keys: list[str] = []
    for r in rows[:1] or [{}]:
        keys = [k for k in r if k.startswith("style/")] + [k for k in r if k.startswith("content/")]
    fig = go.Figure()
    for n, key in enumerate(keys):
        kind, layer = key.split("/", 1)
        dash = "dot" if kind == "content" else "solid"
        name = f"E {layer}" if kind == "style" else f"L_content {layer}"
        fig.add_trace(go.Scatter(x=its, y=_positive([r.get(key) for r in rows]), name=name, mode="lines",
                                 line=dict(color=LAYER_COLORS[n % len(LAYER_COLORS)], dash=dash)))
    _mark_scales(fig, rows, label=False, switches=switches)
    return _layout(fig, "Per layer: style E_l (solid), content (dotted)", height)
