"""A run's loss charts (nst.charts: Plotly after the run, SVG while it goes) and the one palette of every
figure (nst.viz): the same colour for the same term everywhere, and captions that name it."""
from __future__ import annotations

import re

import pytest

from nst import charts, viz

from .conftest import ROOT

pytestmark = pytest.mark.unit


def test_scale_switches_from_rows_and_from_csv_text():
    rows = [{"iteration": i, "scale": s, "total": 10.0 / i, "content": 1.0, "style": 100.0 / i,
             "style/block1_conv1": 5.0}
            for i, s in [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2)]]
    assert charts.scale_switches(rows) == [(2.5, 1), (4.5, 2)]
    as_csv = [{k: str(v) for k, v in r.items()} for r in rows]  # losses.csv gives strings
    assert charts.scale_switches(as_csv) == [(2.5, 1), (4.5, 2)]
    assert charts.scale_switches([{k: v for k, v in r.items() if k != "scale"} for r in rows]) == []
    assert len(charts.loss_figure(rows, 1.0, 1e-3).layout.shapes) == 2
    assert len(charts.layer_figure(rows).layout.shapes) == 2
    assert len(charts.loss_figure(rows[:2], 1.0, 1e-3).layout.shapes) == 0


def test_live_charts_get_fewer_points_and_keep_the_scale_switch():
    rows = [{"iteration": i, "scale": 0 if i <= 700 else 1, "total": 1.0 / i, "content": 1.0, "style": 1.0}
            for i in range(1, 1001)]
    thin = charts.thin_rows(rows, 150)
    assert len(thin) == 150 and thin[0] is rows[0] and thin[-1] is rows[-1]
    fig = charts.loss_figure(thin, 1.0, 1.0, switches=charts.scale_switches(rows))
    assert [s.x0 for s in fig.layout.shapes] == [700.5]
    assert charts.thin_rows(rows[:10], 150) == rows[:10]
    svg = charts.loss_svg(thin, 1.0, 1.0, 0.0, 1000, charts.scale_switches(rows))
    assert svg.count("<polyline") == 3 and "enlarged: scale 2" in svg


def test_every_figure_draws_a_term_in_the_palettes_colour():
    rows = [{"iteration": i, "scale": 0, "total": 3.0 / i, "content": 1.0 / i, "style": 2.0 / i, "tv": 0.5,
             "style/block1_conv1": 1.0, "style/block2_conv1": 2.0, "content/block4_conv2": 1.0} for i in (1, 2, 3)]
    plotly = {t.name: t.line.color for t in charts.loss_figure(rows, 1.0, 1.0, 1.0).data}
    assert plotly == {"total L": viz.COLORS["total"], "α·L_content": viz.COLORS["content"],
                      "β·L_style": viz.COLORS["style"], "tv·L_tv": viz.COLORS["tv"]}
    svg = charts.loss_svg(rows, 1.0, 1.0, 1.0, 3)
    for kind in ("total", "content", "style", "tv"):
        assert f'stroke="{viz.COLORS[kind]}"' in svg, kind
    layers = charts.layer_figure(rows).data
    assert [t.line.color for t in layers] == viz.LAYER_COLORS[:3] and layers[-1].line.dash == "dot"
    assert f'stroke="{viz.LAYER_COLORS[0]}"' in charts.layer_svg(rows, 3)
    bars = viz.loss_bars([("a", 1.0, "content"), ("b", 2.0, "style"), ("c", 3.0, "tv"), ("d", 6.0, "total")])
    assert list(bars.data[0].marker.color) == [viz.COLORS[k] for k in ("content", "style", "tv", "total")]
    dot = viz.architecture_dot()
    assert f'color="{viz.COLORS["highlight"]}"' in dot and f'color="{viz.COLORS["style"]}"' in dot
    assert set(viz.COLOR_NAMES) <= set(viz.COLORS)


def test_no_page_names_a_colour_of_its_own():
    """The pages name a figure's colours from nst.viz (COLOR_NAMES, DIFF_NAMES), never in words of their own
    that could disagree with what is drawn (page 6 once said "orange" where the studio drew style red)."""
    words = re.compile(r"\b(blue|orange|red|green|black|yellow|purple|violet|pink|amber|brown)\b", re.I)
    found = []
    for path in [*sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py")), ROOT / "app.py"]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if words.search(code):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
