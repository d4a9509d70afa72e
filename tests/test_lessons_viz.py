"""The lesson helpers and figure builders behind issue 10: seam-free shift, the content loss in three parts,
one number format, readable log and Gram axes, panels that stack, a diagram for phones."""
from __future__ import annotations

import numpy as np
import pytest

from nst import lessons, viz

pytestmark = pytest.mark.unit


def test_shifted_pair_is_the_same_scene_moved_without_a_seam(rng):
    picture = rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)
    c, g = lessons.shifted_pair(picture, 4)
    assert c.shape == g.shape == (36, 46, 3)
    # g shows c's scene moved 4 px right and down: g[y + 4, x + 4] == c[y, x] wherever both exist
    assert np.array_equal(g[4:, 4:], c[:-4, :-4])
    # and every pixel of both comes from the picture itself: no wrapped-around band, no padding
    assert np.array_equal(c, picture[4:, 4:]) and np.array_equal(g, picture[:36, :46])
    same_c, same_g = lessons.shifted_pair(picture, 0)
    assert np.array_equal(same_c, picture) and np.array_equal(same_g, picture)
    with pytest.raises(ValueError):
        lessons.shifted_pair(picture, 30)


def test_flip_demo_splits_the_content_loss_into_its_parts(features, content_image):
    other = np.ascontiguousarray(content_image[:, ::-1])
    demo = lessons.flip_demo(features, content_image, "block2_conv1", other)
    for case in demo["cases"].values():
        assert case["energy_c"] + case["energy"] - 2 * case["overlap"] == \
            pytest.approx(case["content_loss"], rel=1e-3, abs=1e-6)
    flipped = demo["cases"]["flipped maps"]
    assert flipped["energy"] == pytest.approx(flipped["energy_c"], rel=1e-6)  # a flip keeps all the activity


@pytest.mark.parametrize("value,text", [(57410.3, "57410"), (0, "0"), (0.1016, "0.1016"), (8481.59, "8482"),
                                        (2.6055e7, "2.606×10⁷"), (2.276e-8, "2.276×10⁻⁸"), (-3.5, "-3.5")])
def test_one_number_format(value, text):
    assert viz.fmt(value) == text
    assert viz.parse_fmt(text) == pytest.approx(float(text.replace("×10⁷", "e7").replace("×10⁻⁸", "e-8")))


def test_log_axes_are_labelled_with_whole_values():
    ticks = viz.log_ticks(0.05, 2000)
    assert ticks["ticktext"] == ["0.01", "0.1", "1", "10", "100", "1000", "10000"]
    wide = viz.log_ticks(1e-7, 1e9)
    assert len(wide["tickvals"]) <= 9 and all("e" not in t for t in wide["ticktext"])
    fig = viz.loss_bars([("a", 3.0, "content"), ("b", 4000.0, "style"), ("c", 0.2, "tv")], log=True)
    assert "0.1" in fig.layout.yaxis.ticktext and "1000" in fig.layout.yaxis.ticktext


def test_gram_ticks_are_readable(rng):
    g = rng.random((24, 24))
    fig = viz.gram_heatmap(g, labels=list(range(100, 124)))
    assert fig.layout.xaxis.tickfont.size >= 11 and fig.layout.xaxis.tickangle in (None, "auto", 0)
    assert len(fig.layout.xaxis.tickvals) <= 16


def test_heatmap_panels_are_separate_figures_each_with_its_bar(rng):
    figs = viz.heatmap_panels([rng.random((8, 8)), rng.random((8, 8)) - 0.5], ["a", "b"], diverging=[False, True])
    assert len(figs) == 2
    for fig, title in zip(figs, ["a", "b"]):
        assert len(fig.data) == 1 and fig.layout.title.text == title
    assert figs[1].data[0].zmid == 0.0


def test_architecture_has_a_vertical_variant():
    assert "rankdir=LR" in viz.architecture_dot()
    tall = viz.architecture_dot("block4_conv2", "conv1 of blocks 1..5", vertical=True)
    assert "rankdir=TB" in tall and "block4_conv2" in tall and "conv1 of blocks 1..5" in tall
