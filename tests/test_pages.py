"""AppTest for the teaching pages 1-6: each renders without an exception, and its main widgets
change what is shown. The pages run standalone here (app.py owns set_page_config and navigation).

Reconstructions run at the smallest size and a handful of iterations, so the whole file stays fast.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

PAGES = Path(__file__).resolve().parents[1] / "views"
TIMEOUT = 120


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=TIMEOUT)


def run_ok(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metric(at: AppTest, label_start: str) -> str:
    """A metric's value as a plain number string (pages write numbers with nst.viz.fmt: 57410, 5.741×10⁻⁵)."""
    from nst.viz import parse_fmt

    found = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert found, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    try:
        return repr(parse_fmt(found[0]))
    except ValueError:
        return found[0]


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.latex, *at.success, *at.info])


def images(at: AppTest) -> list:
    return list(at.get("image"))


def captions(at: AppTest) -> str:
    return " ".join(im.caption for el in images(at) for im in el.proto.imgs)


# --- 1 why ----------------------------------------------------------------------------------------

def test_why_renders_diagram_and_switches_preset():
    at = run_ok(page("1_why.py"))
    assert at.get("graphviz_chart"), "the architecture diagram is missing"
    assert "block3_conv3" in texts(at) and "7 layers" in texts(at)
    at.button_group(key="preset").set_value("gatys")
    run_ok(at)
    assert "block4_conv2" in texts(at) and "5 layers" in texts(at)


def test_why_says_why_the_studio_default_differs_from_the_article():
    """The page names the default preset, its deepest style layer and each of its content layers, from PRESETS."""
    from nst.config import DEFAULT_PRESET, PRESETS

    body = texts(run_ok(page("1_why.py")))
    assert f"the studio starts from **{DEFAULT_PRESET}**" in body and "deeper layers carry" in body
    content = PRESETS[DEFAULT_PRESET].content_layers
    assert all(layer in body for layer in content)
    assert (f"held at {len(content)} depths" in body) == (len(content) > 1)


def test_why_reads_the_preset_from_the_url():
    at = page("1_why.py")
    at.query_params["preset"] = "gatys"
    run_ok(at)
    assert "block4_conv2" in texts(at)


# --- 2 inside VGG ---------------------------------------------------------------------------------

def test_inside_vgg_layer_changes_the_grid():
    at = page("2_inside_vgg.py")
    at.query_params["vgg_size"] = "96"
    run_ok(at)
    assert "256 feature maps" in texts(at)  # block3_conv1 by default
    assert len(at.get("plotly_chart")) == 3  # the grid and the two pooling grids
    at.selectbox(key="layer").set_value("block5_conv3")
    run_ok(at)
    body = texts(at)
    assert "512 feature maps" in body and "6 x 6" in body


def test_inside_vgg_pooling_differs_after_block1():
    at = page("2_inside_vgg.py")
    at.query_params["vgg_size"] = "96"
    at.query_params["layer"] = "block2_conv1"
    run_ok(at)
    avg = float(metric(at, "mean activation, average"))
    mx = float(metric(at, "mean activation, max"))
    assert mx > avg > 0
    at.selectbox(key="layer").set_value("block1_conv2")
    run_ok(at)
    assert float(metric(at, "mean activation, average")) == float(metric(at, "mean activation, max"))
    assert any("block 1" in i.value for i in at.info)


# --- 3 content -------------------------------------------------------------------------------------

def test_content_loss_follows_the_change():
    at = page("3_content.py")
    run_ok(at)
    at.select_slider(key="content_size").set_value(96)
    run_ok(at)
    shifted = float(metric(at, "L_content"))
    assert shifted > 0
    at.slider(key="content_shift").set_value(16)
    run_ok(at)
    assert float(metric(at, "L_content")) > shifted
    at.radio(key="content_change").set_value("same")
    run_ok(at)
    assert float(metric(at, "L_content")) == 0.0


def test_content_shift_has_no_artificial_edge_and_says_why():
    at = page("3_content.py")
    at.query_params["content_size"] = "96"
    run_ok(at)
    assert at.radio(key="content_change").value == "shift"
    body = texts(at)
    assert "Why a 4 px shift costs a lot early and less deep" in body and "position by position" in body
    assert "cropped by 4 px" in captions(at) and "moved 4 px right and down" in captions(at)


def test_content_reconstructions_any_layer_multiscale():
    at = page("3_content.py")
    at.query_params["content_size"] = "96"
    run_ok(at)
    at.multiselect(key="content_recon_layers").set_value(["block1_conv1", "block2_conv2"])
    at.select_slider(key="content_recon_iters").set_value(40)
    run_ok(at)
    before = len(images(at))
    at.button(key="content_recon_go").click()
    run_ok(at)
    assert len(images(at)) == before + 3  # c and the two reconstructions, at 192 px
    assert "block2_conv2 ·" in captions(at) and "% left" in captions(at)


def test_style_reconstructions_on_button():
    at = page("4_style_gram.py")
    run_ok(at)
    at.select_slider(key="gram_size").set_value(96)
    at.select_slider(key="gram_recon_size").set_value(64)
    at.select_slider(key="gram_recon_iters").set_value(5)
    run_ok(at)
    before = len(images(at))
    at.button(key="gram_recon_go").click()
    run_ok(at)
    assert len(images(at)) == before + 6


# --- 4 style and the Gram matrix ------------------------------------------------------------------

def test_gram_cell_matches_and_follows_i():
    at = page("4_style_gram.py")
    at.query_params["style_layer"] = "block1_conv2"
    run_ok(at)
    at.select_slider(key="gram_size").set_value(96)
    run_ok(at)
    by_hand, library = metric(at, "÷ M_l"), metric(at, "G_ij in the Gram")
    assert any("the same number" in c.value for c in at.caption)
    assert float(by_hand) == pytest.approx(float(library), rel=1e-4)
    i = at.number_input(key="gram_i")
    i.set_value(0 if i.value != 0 else 1)
    run_ok(at)
    assert metric(at, "G_ij in the Gram") != library
    assert float(metric(at, "÷ M_l")) == pytest.approx(float(metric(at, "G_ij in the Gram")), rel=1e-4, abs=1e-6)




# --- 5 the dog --------------------------------------------------------------------------------------

def test_dog_numbers():
    at = run_ok(page("5_dog.py"))
    assert float(metric(at, "content loss")) > 0.05
    assert float(metric(at, "style loss")) == 0.0
    assert "exactly" in at.success[0].value


def test_dog_on_a_real_picture_flipped_maps_vs_flipped_input():
    at = page("5_dog.py")
    at.query_params["dog_size"] = "96"
    run_ok(at)
    table = at.table[0].value
    flipped_maps, flipped_input, other = table["style loss E_l"].tolist()
    assert flipped_maps <= 1e-6 * other
    assert 0 < flipped_input < other
    assert (table["content loss"] > 0).all()
    at.selectbox(key="flip_layer").set_value("block4_conv1")
    run_ok(at)
    assert at.table[0].value["content loss"].tolist() != table["content loss"].tolist()
    # the content loss is explained by its three parts, with the numbers on screen
    parts = at.table[1].value
    for _, row in parts.iterrows():
        assert row["activity of c"] + row["activity of g"] - row["2 × overlap"] == \
            pytest.approx(row["content loss"], rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("layer", ["block1_conv2", "block5_conv3"])
def test_dog_verdict_follows_the_numbers(layer):
    """The sentence under the table says what the table shows, at any layer."""
    at = page("5_dog.py")
    at.query_params["dog_size"] = "96"
    at.query_params["dog_image"] = "rocket"
    run_ok(at)
    at.selectbox(key="flip_layer").set_value(layer)
    run_ok(at)
    _, flipped_input, other = at.table[0].value["style loss E_l"].tolist()
    ratio = flipped_input / other
    text = " ".join(m.value for m in at.markdown)
    assert f"{ratio:.0%} of the style loss against a different picture" in text
    expected = "close, but not zero" if ratio < 0.25 else "smaller, but not small" if ratio < 1 else \
        "changes the Gram matrix *more*"
    assert expected in text, (layer, ratio)


# --- 6 loss playground -------------------------------------------------------------------------------

def test_playground_sliders_reweigh_the_terms():
    at = page("6_loss_playground.py")
    at.query_params["play_size"] = "96"
    run_ok(at)
    assert float(metric(at, "α L_content")) == 0.0  # g = c
    total = float(metric(at, "total L"))
    at.select_slider(key="beta").set_value("1e-2")
    run_ok(at)
    assert float(metric(at, "total L")) == pytest.approx(10 * total, rel=1e-3)
    at.select_slider(key="w_block1_conv1").set_value(0.0)
    run_ok(at)
    assert float(metric(at, "total L")) < 10 * total
    at.radio(key="g").set_value("noise")
    run_ok(at)
    assert float(metric(at, "α L_content")) > 0
    at.select_slider(key="tv").set_value("1")
    run_ok(at)
    assert float(metric(at, "λ_tv L_tv")) > 0


def test_playground_reads_weights_from_the_url():
    at = page("6_loss_playground.py")
    at.query_params.update({"play_size": "96", "alpha": "10", "beta": "0", "g": "noise"})
    run_ok(at)
    assert float(metric(at, "β Σ")) == 0.0
    assert float(metric(at, "total L")) == pytest.approx(float(metric(at, "α L_content")), rel=1e-3)


def test_a_reconstruction_waits_behind_a_studio_run():
    """Pages 1-6 optimise in the studio's queue: a style reconstruction waits while a studio run holds the
    slot, starts when it ends, and leaves the queue empty."""
    import threading

    from tests.conftest import wait_until
    from ui.studio.slot import run_queue

    def script():
        import numpy as np
        import streamlit as st

        from ui.walkthrough import style_reconstruction

        picture = np.random.default_rng(1111).integers(0, 256, (32, 32, 3), dtype=np.uint8)
        image, loss = style_reconstruction(picture, ("block1_conv1",), 32, 2)
        st.write(f"made {image.shape[0]}x{image.shape[1]}")

    queue = run_queue()  # the process's one queue: the studio's runs and the pages' take turns in it
    studio_run = queue.join("a studio session", label="a studio run")
    assert queue.try_acquire(studio_run)
    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    page_run = threading.Thread(target=at.run)
    page_run.start()
    try:
        waiting = wait_until(lambda: queue.snapshot()["waiting"], TIMEOUT, "the reconstruction to join the queue")
        assert [t.label for t in waiting] == ["a style reconstruction"]
        assert queue.snapshot()["running"] == [studio_run] and page_run.is_alive()
    finally:
        queue.release(studio_run)
    page_run.join(TIMEOUT)
    assert not page_run.is_alive()
    assert not at.exception, at.exception
    assert at.markdown[-1].value == "made 32x32"
    assert len(queue) == 0
