"""Real, short optimisations on small images."""
import threading

import numpy as np
import pytest

from nst import images as imgs
from nst.config import PRESETS, StyleConfig, preset
from nst.optimize import Progress, scale_sizes, split_iterations, stylize


def run(content, style, features, **changes):
    config = preset(changes.pop("preset", "article"), size=48, iterations=changes.pop("iterations", 20), **changes)
    return list(stylize(content, style, config, features, image_every=5))


@pytest.mark.parametrize("optimizer,iterations", [("lbfgs", 20), ("adam", 60)])
def test_optimisation_lowers_the_total_loss_by_more_than_half(features, content_image, style_image,
                                                             optimizer, iterations):
    events = run(content_image, style_image, features, optimizer=optimizer, iterations=iterations,
                 learning_rate=10.0)
    first, last = events[0], events[-1]
    assert last.done and last.status == "finished"
    assert last.iteration == iterations
    assert last.losses["total"] < 0.5 * first.losses["total"]
    assert last.image.dtype == np.uint8 and last.image.shape == (32, 48, 3)
    # every term is reported, per layer too
    for key in ("total", "content", "style", "tv", "content/block3_conv3", "style/block1_conv1"):
        assert key in last.losses
    assert [e.iteration for e in events[:-1]] == list(range(1, iterations))


def test_events_carry_images_every_n_iterations(features, content_image, style_image):
    events = run(content_image, style_image, features, iterations=12)
    with_images = [e.iteration for e in events if e.image is not None]
    assert with_images == [5, 10, 12]
    assert all(e.elapsed >= 0 for e in events) and events[-1].evaluations >= 12


def test_a_seed_makes_a_noise_run_reproducible(features, content_image, style_image):
    a = run(content_image, style_image, features, init="noise", seed=3, iterations=5)[-1].image
    b = run(content_image, style_image, features, init="noise", seed=3, iterations=5)[-1].image
    c = run(content_image, style_image, features, init="noise", seed=4, iterations=5)[-1].image
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("init", ["content", "noise", "style"])
def test_every_init_runs(features, content_image, style_image, init):
    last = run(content_image, style_image, features, init=init, iterations=3)[-1]
    assert last.done and last.image.shape == (32, 48, 3)


def test_gatys_preset_and_max_pooling(features, content_image, style_image):
    last = run(content_image, style_image, features, preset="gatys", pooling="max", iterations=3)[-1]
    assert "style/block5_conv1" in last.losses and "content/block4_conv2" in last.losses


def test_multi_scale_goes_coarse_to_fine(features, content_image, style_image):
    config = preset("article", size=128, scales=2, iterations=6)
    events = list(stylize(content_image, style_image, config, features, image_every=1))
    assert [e.scale for e in events[:-1]][:3] == [0, 0, 0] and events[-2].scale == 1
    assert events[0].shape == (43, 64) and events[-1].image.shape == (86, 128, 3)
    assert scale_sizes(512, 3) == [128, 256, 512] and split_iterations(10, 3) == [3, 3, 4]


def test_several_styles_blend(features, content_image, style_image):
    flat = np.full_like(style_image, 200)
    only_first = run(content_image, [style_image, flat], features, style_blend=(1.0, 0.0), iterations=3)[-1]
    alone = run(content_image, style_image, features, iterations=3)[-1]
    np.testing.assert_allclose(only_first.losses["style"], alone.losses["style"], rtol=1e-4)
    mixed = run(content_image, [style_image, flat], features, style_blend=(1.0, 1.0), iterations=3)[-1]
    assert mixed.losses["style"] != pytest.approx(alone.losses["style"], rel=1e-3)
    with pytest.raises(ValueError, match="blend weights"):
        run(content_image, [style_image, flat], features, style_blend=(1.0,), iterations=1)


def test_preserve_colour_keeps_the_contents_colours(features, content_image, style_image):
    plain = run(content_image, style_image, features, iterations=8)[-1].image.astype(float)
    kept = run(content_image, style_image, features, iterations=8, preserve_color="luminance")[-1].image.astype(float)
    hist = run(content_image, style_image, features, iterations=8, preserve_color="histogram")[-1].image.astype(float)
    target = content_image.reshape(-1, 3).mean(0)
    dist = lambda im: np.abs(im.reshape(-1, 3).mean(0) - target).sum()  # noqa: E731
    assert dist(kept) < dist(plain)
    assert dist(hist) < dist(plain)


def test_style_scale_changes_the_style_target(features, content_image, style_image):
    a = run(content_image, style_image, features, iterations=1)[-1].losses["style"]
    b = run(content_image, style_image, features, iterations=1, style_scale=0.5)[-1].losses["style"]
    assert a != pytest.approx(b, rel=1e-3)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_stop_event_and_closing_end_the_run(features, content_image, style_image, optimizer):
    stop = threading.Event()
    config = preset("article", size=48, iterations=500, optimizer=optimizer)
    events = []
    for event in stylize(content_image, style_image, config, features, stop=stop):
        events.append(event)
        if event.iteration == 3:
            stop.set()
    assert events[-1].done and events[-1].status == "stopped" and events[-1].iteration == 3
    assert events[-1].image is not None
    gen = stylize(content_image, style_image, config, features)
    next(gen)
    gen.close()  # must not hang or leave the L-BFGS thread running
    assert not [t for t in threading.enumerate() if t.name == "nst-lbfgs"]


def test_a_diverging_run_stops_and_keeps_the_last_good_image(features, content_image, style_image):
    config = preset("article", size=48, iterations=30, optimizer="adam", learning_rate=1e12, beta=1e12,
                    alpha=1e12)
    events = list(stylize(content_image, style_image, config, features))
    last = events[-1]
    assert last.done
    if last.status == "diverged":
        assert "NaN" in last.message and last.image is not None
        assert np.isfinite(last.image.astype(float)).all()


@pytest.mark.parametrize("changes,match", [
    ({"size": 5}, "size"), ({"size": 100000}, "size"), ({"alpha": -1}, "alpha"),
    ({"beta": float("nan")}, "beta"), ({"style_layers": (), "content_layers": ()}, "at least one"),
    ({"style_layers": ("block9_conv1",)}, "unknown layer"), ({"iterations": 0}, "iterations"),
    ({"optimizer": "sgd"}, "optimizer"), ({"style_weights": {"block1_conv1": -2.0}}, "w_l"),
])
def test_absurd_settings_are_refused_in_one_sentence(changes, match):
    with pytest.raises(ValueError, match=match) as info:
        StyleConfig(**changes).validate()
    assert "\n" not in str(info.value)


def test_zero_weights_still_run(features, content_image, style_image):
    """alpha = 0, beta = 0, every w_l = 0 or no style layer: a legal, if dull, run."""
    for changes in ({"alpha": 0.0}, {"beta": 0.0}, {"style_layers": ()},
                    {"style_weights": {n: 0.0 for n in PRESETS["article"].style_layers}}):
        last = run(content_image, style_image, features, iterations=2, **changes)[-1]
        assert last.done and last.image is not None and isinstance(last, Progress)


def test_config_round_trips_through_a_dict():
    config = preset("gatys", style_weights={"block1_conv1": 0.5}, style_blend=(1.0, 2.0))
    assert StyleConfig.from_dict(config.to_dict()) == config


def test_colour_helpers():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    b = (rng.integers(0, 60, (20, 30, 3)) + np.array([180, 20, 20])).astype(np.uint8)
    matched = imgs.match_color_histogram(a, b)
    np.testing.assert_allclose(matched.reshape(-1, 3).mean(0), b.reshape(-1, 3).mean(0), atol=3)
    lum = imgs.luminance_transfer(a, b)
    assert lum.shape == a.shape
