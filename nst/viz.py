"""Figure builders for the teaching pages (plotly figures and a Graphviz diagram), and the one palette
of every figure in the app. No Streamlit.

Each builder takes numpy arrays (feature maps are (H, W) or (H, W, C), Gram
matrices (C, C)) and returns a figure; hovering any cell shows its value. A run's
loss charts (the studio's, live and after the run) are in :mod:`nst.charts`, in the
same colours.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# The palette of every figure (pages 1-6 and the studio's charts): one colour per kind of loss term and
# per image, the figure's lines and marks, and (COLOR_NAMES) the word a caption uses for each colour.
COLORS = {"content": "#2563eb", "style": "#d97706", "tv": "#6b7280", "total": "#111827", "generated": "#16a34a",
          "highlight": "#dc2626",  # the gradient's arrow, a picked cell
          "muted": "#9ca3af",      # what is not highlighted
          "ink": "#374151",        # the diagram's lines and boxes
          "guide": "#888888",      # a dashed line where a run enlarged its image
          "label": "#555555",      # axis and guide labels
          "grid": "#e5e5e5", "frame": "#bbbbbb"}  # a chart's grid lines and plot frame
COLOR_NAMES = {"content": "blue", "style": "orange", "tv": "grey", "total": "black", "generated": "green",
               "highlight": "red", "muted": "light grey"}
TINTS = {"content": "#dbeafe", "style": "#fed7aa", "generated": "#bbf7d0", "total": "#e5e7eb", "network": "#f3f4f6"}
# one colour per layer where every layer has its curve (the studio's per-layer chart)
LAYER_COLORS = ["#e6550d", "#fd8d3c", "#31a354", "#74c476", "#3182bd", "#6baed6", "#756bb1",
                "#9e9ac8", "#636363", "#969696", "#e7298a", "#66a61e", "#a6761d"]
MAPS_SCALE = "Viridis"
DIFF_SCALE = "RdBu_r"  # diverging, centred on 0: positive values red, negative blue (DIFF_NAMES)
DIFF_NAMES = {"above": "red", "below": "blue"}


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(value: float) -> str:
    """One way to write a number on every page: 4 significant digits, whole numbers written out up to a
    million (57410, not 5.741e+04), and 5.741×10⁻⁵ beyond that range. Read back with :func:`parse_fmt`."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    if 1e-3 <= abs(v) < 1e6:
        rounded = float(f"{v:.4g}")
        return f"{rounded:.0f}" if abs(rounded) >= 1000 else f"{rounded:.4g}"
    mantissa, exponent = f"{v:.3e}".split("e")
    return f"{float(mantissa):.4g}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def parse_fmt(text: str) -> float:
    """The number :func:`fmt` wrote."""
    text = text.strip()
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        back = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
        return float(mantissa) * 10.0 ** int(exponent.translate(back))
    return float(text)


def architecture_dot(content_layer: str = "block3_conv3", style_layers: str = "block1_conv1 .. block3_conv3",
                     vertical: bool = False) -> str:
    """The high-level architecture of NST as Graphviz DOT (the article's figure).

    c, s and g go through the same frozen VGG-16; A^l(c) and A^l(g) meet in the
    content loss, G^l(s) and G^l(g) in the style loss; alpha and beta weigh them
    into the total loss, whose gradient updates g and nothing else. ``vertical``
    draws it top to bottom, narrow enough to read on a phone.
    """
    direction = "TB" if vertical else "LR"
    style_label = (f"L_style\\n= Σ w_l E_l\\n{style_layers}" if vertical else
                   f"L_style = Σ w_l E_l\\n{style_layers}")
    update_label = "update g" if vertical else "∂L/∂g: update g"
    return f"""digraph NST {{
  rankdir={direction}; bgcolor="transparent"; nodesep=0.25; ranksep=0.4;
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=18, color="{COLORS['ink']}",
        margin="0.12,0.06"];
  edge [fontname="Helvetica", fontsize=16, color="{COLORS['ink']}"];
  c [label="content c", fillcolor="{TINTS['content']}"];
  g [label="generated g\\n(trainable)", fillcolor="{TINTS['generated']}", penwidth=3, color="{COLORS['generated']}"];
  s [label="style s", fillcolor="{TINTS['style']}"];
  subgraph cluster_vgg {{
    label="VGG-16, frozen"; fontname="Helvetica"; fontsize=16; style="dashed,rounded"; color="{COLORS['muted']}";
    vc [label="VGG-16", fillcolor="{TINTS['network']}"];
    vg [label="VGG-16", fillcolor="{TINTS['network']}"];
    vs [label="VGG-16", fillcolor="{TINTS['network']}"];
  }}
  lc [label="L_content\\n{content_layer}", fillcolor="{TINTS['content']}", color="{COLORS['content']}"];
  ls [label="{style_label}", fillcolor="{TINTS['style']}", color="{COLORS['style']}"];
  lt [label="L = α L_content\\n   + β L_style", fillcolor="{TINTS['total']}", penwidth=2];
  c -> vc; g -> vg; s -> vs;
  vc -> lc [label="Aˡ(c)"];
  vg -> lc [label="Aˡ(g)"];
  vg -> ls [label="Gˡ(g)"];
  vs -> ls [label="Gˡ(s)"];
  lc -> lt [label="α"];
  ls -> lt [label="β"];
  lt -> g [label="{update_label}", style=dashed, color="{COLORS['highlight']}", fontcolor="{COLORS['highlight']}",
           constraint=false, penwidth=2];
}}"""


def _square_pixels(fig: go.Figure, n: int) -> None:
    """Hide ticks; rows top-down; one map cell is square in every subplot (a picture is not stretched)."""
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="", constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="", autorange="reversed",
                     constrain="domain")
    for k in range(n):
        suffix = "" if k == 0 else str(k + 1)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"


def _grid_shape(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return int(math.ceil(n / cols)), cols


def feature_grid(maps: np.ndarray, indices: Sequence[int], cols: int = 8, shared_scale: bool = True,
                 cell_px: int = 80, title: str | None = None, prefix: str = "map") -> go.Figure:
    """A grid of heatmaps, one per feature map A_i (i in ``indices``) of (H, W, C) ``maps``.

    ``shared_scale``: one colour scale for all (compare strengths) or one per map
    (see each map's pattern). Hover shows the map, the position and the value.
    """
    indices = [int(i) for i in indices]
    rows, cols = _grid_shape(len(indices), cols)
    # narrow cells (a phone shows 8 columns at ~45 px) get the bare index as their title, so titles never touch
    names = [f"{prefix} {i}" if cols <= 4 else str(i) for i in indices]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names,
                        horizontal_spacing=0.012, vertical_spacing=0.2 / rows if rows > 1 else 0.0)
    top = float(maps[..., indices].max()) if indices else 1.0
    top = top if top > 0 else 1.0
    for k, i in enumerate(indices):
        r, c = divmod(k, cols)
        z = maps[..., i]
        zmax = top if shared_scale else (float(z.max()) if z.max() > z.min() else float(z.min()) + 1e-6)
        zmin = 0.0 if shared_scale else float(z.min())
        fig.add_trace(go.Heatmap(z=z, zmin=zmin, zmax=zmax, colorscale=MAPS_SCALE,
                                 showscale=shared_scale and k == 0, colorbar=dict(thickness=10, len=0.8),
                                 hovertemplate=f"{prefix} {i}<br>row %{{y}}, col %{{x}}<br>A = %{{z:.3g}}<extra></extra>"),
                      row=r + 1, col=c + 1)
    _square_pixels(fig, len(indices))
    for ann in fig.layout.annotations:
        ann.font.size = 11
    h, w = maps.shape[:2]
    height = int(rows * (cell_px * max(0.5, min(2.0, h / max(w, 1))) + 22)) + 10 + (30 if title else 0)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=30 if title else 20, b=5),
                      title=title)
    return fig


def heatmap_panels(arrays: Sequence[np.ndarray], titles: Sequence[str], diverging: Sequence[bool] | None = None,
                   height: int = 260, value_name: str = "value", text: bool = False,
                   zrange: tuple[float, float] | None = None) -> list[go.Figure]:
    """Heatmaps, one figure each, with its title and its own colour bar; ``diverging`` ones are centred on 0
    (red/blue).

    Placed in columns (the pages' ``show_heatmaps``), the panels sit side by side on a wide screen and
    stack on a phone, so no colour bar ever lies over the next panel and no title over another.
    ``zrange`` puts every non-diverging panel on one scale (each still gets the bar, so a panel read
    alone is still read right).
    """
    diverging = list(diverging) if diverging is not None else [False] * len(arrays)
    figs = []
    for z, title, div in zip(arrays, titles, diverging):
        z = np.asarray(z, np.float64)
        if div:
            bound = float(np.max(np.abs(z))) or 1.0
            kwargs = dict(zmin=-bound, zmax=bound, zmid=0.0, colorscale=DIFF_SCALE)
        elif zrange is not None:
            kwargs = dict(colorscale=MAPS_SCALE, zmin=zrange[0], zmax=zrange[1])
        else:
            kwargs = dict(colorscale=MAPS_SCALE)
        if text:
            kwargs.update(texttemplate="%{z:.4~g}", textfont=dict(size=12))
        fig = go.Figure(go.Heatmap(z=z, colorbar=dict(thickness=10, len=0.9, tickfont=dict(size=11)),
                                   hovertemplate=f"row %{{y}}, col %{{x}}<br>{value_name} = %{{z:.4g}}<extra></extra>",
                                   **kwargs))
        _square_pixels(fig, 1)
        fig.update_layout(height=height, margin=dict(l=5, r=5, t=36, b=5),
                          title=dict(text=title, font=dict(size=14), x=0.02, xanchor="left", y=0.98, yanchor="top"))
        figs.append(fig)
    return figs


def log_ticks(lo: float, hi: float) -> dict:
    """Axis settings for a log axis from ``lo`` to ``hi`` (> 0): a tick at every power of ten, written as a
    whole value (0.01, 0.1, 1, 10, 100, 1000) or, beyond that, as 10 to a power; no bare minor ticks."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    step = max(1, math.ceil((b - a + 1) / 8))  # at most about 8 labels
    vals, texts = [], []
    for e in range(a, b + 1, step):
        vals.append(10.0 ** e)
        texts.append(f"{10.0 ** e:g}" if -3 <= e <= 4 else f"10<sup>{e}</sup>")
    return dict(tickmode="array", tickvals=vals, ticktext=texts, minor=dict(showgrid=False, ticks=""))


def gram_heatmap(gram_matrix: np.ndarray, labels: Sequence[int] | None = None,
                 highlight: tuple[int, int] | None = None, title: str | None = None, text: bool = False,
                 height: int = 460, clickable: bool = False) -> go.Figure:
    """A Gram matrix G_ij as a heatmap; rows i, columns j (labels are feature map indices).

    ``highlight`` (i, j), given as map indices, gets a red box. ``clickable`` lays an invisible
    marker on every cell: heatmap cells themselves send no selection events to a point-selecting
    chart (Streamlit's on_select), markers do, with x = j and y = i.
    """
    gram_matrix = np.asarray(gram_matrix, np.float64)
    labels = list(range(gram_matrix.shape[0])) if labels is None else [int(v) for v in labels]
    names = [str(v) for v in labels]
    fig = go.Figure(go.Heatmap(
        z=gram_matrix, x=names, y=names, colorscale=MAPS_SCALE, colorbar=dict(thickness=10),
        texttemplate="%{z:.4~g}" if text else None, textfont=dict(size=12),
        hovertemplate="G<sub>%{y},%{x}</sub> = %{z:.4g}<extra></extra>"))
    if clickable:
        cols, rows = np.meshgrid(names, names)
        fig.add_trace(go.Scatter(
            x=cols.ravel(), y=rows.ravel(), customdata=gram_matrix.ravel(), mode="markers", showlegend=False,
            marker=dict(symbol="square", size=max(6, int(0.8 * (height - 80) / max(1, len(names)))), opacity=0),
            hovertemplate="G<sub>%{y},%{x}</sub> = %{customdata:.4g}<br>click to pick<extra></extra>"))
    if highlight is not None and str(highlight[0]) in names and str(highlight[1]) in names:
        r, c = names.index(str(highlight[0])), names.index(str(highlight[1]))
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, xref="x", yref="y",
                      line=dict(color=COLORS["highlight"], width=3))
    # at most 16 labels per axis, 11 px and upright, so they fit without rotating (every index is in the hover);
    # constrain="domain" keeps the square plot and its axes together instead of centring the cells away
    step = max(1, math.ceil(len(names) / 16))
    ticks = dict(tickmode="array", tickvals=names[::step], ticktext=names[::step], tickfont=dict(size=11))
    # no tickangle: plotly keeps the (at most 16) labels upright wherever they fit, turns them only when too narrow
    fig.update_xaxes(title="j (feature map)", type="category", showgrid=False, constrain="domain", **ticks)
    fig.update_yaxes(title="i (feature map)", type="category", autorange="reversed", showgrid=False,
                     scaleanchor="x", constrain="domain", **ticks)
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=40 if title else 10, b=5), title=title)
    return fig


def loss_bars(terms: Sequence[tuple[str, float, str]], log: bool = True, title: str | None = None,
              height: int = 360) -> go.Figure:
    """One bar per loss term: (label, value, kind) with kind in COLORS ('content', 'style', 'tv', 'total')."""
    labels = [t[0] for t in terms]
    values = [float(t[1]) for t in terms]
    colors = [COLORS.get(t[2], COLORS["muted"]) for t in terms]
    shown = [v if (v > 0 or not log) else None for v in values]
    fig = go.Figure(go.Bar(x=labels, y=shown, marker_color=colors, text=[fmt(v) for v in values],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}: %{text}<extra></extra>"))
    positive = [v for v in values if v > 0]
    if log and positive:
        lo, hi = math.log10(min(positive)), math.log10(max(positive))
        fig.update_yaxes(type="log", range=[lo - 0.5, hi + 0.6], **log_ticks(10 ** (lo - 0.5), 10 ** (hi + 0.6)))
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=40 if title else 10, b=5), title=title,
                      showlegend=False, yaxis_title="value" + (" (log scale)" if log else ""))
    return fig


def layer_bars(values: dict[str, float], highlight: str | None = None, title: str | None = None,
               yaxis: str = "", height: int = 260, kind: str = "content") -> go.Figure:
    """A bar per VGG-16 layer; the ``highlight``ed layer drawn darker."""
    names = list(values)
    base = COLORS.get(kind, COLORS["content"])
    colors = [base if n == highlight else COLORS["muted"] for n in names]
    fig = go.Figure(go.Bar(x=names, y=[values[n] for n in names], marker_color=colors,
                           hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=40 if title else 10, b=5), title=title,
                      yaxis_title=yaxis, showlegend=False)
    fig.update_xaxes(tickangle=-40, tickfont=dict(size=11))
    return fig
