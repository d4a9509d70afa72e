"""Real, short optimisations on small images."""
import threading

import numpy as np
import pytest

from nst import images as imgs
from nst.config import PRESETS, StyleConfig, preset
from nst.optimize import Progress, scale_sizes, split_iterations, stylize

pytestmark = pytest.mark.unit


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


def test_stopping_at_the_coarse_scale_gives_the_size_asked_for(features, content_image, style_image):
    config = preset("article", size=96, scales=2, iterations=20, optimizer="adam")
    assert scale_sizes(96, 2) == [64, 96]
    stop = threading.Event()
    events = []
    for event in stylize(content_image, [style_image], config, features, image_every=1, stop=stop):
        events.append(event)
        if len(events) == 3:
            stop.set()
    final = events[-1]
    assert final.done and final.status == "stopped" and final.iteration == 3
    assert final.image.shape[:2] == imgs.resize_to(content_image, 96).shape[:2]  # not the 64 px coarse image
    assert final.scale == 0  # it ended on the first scale; charts must not mark a switch
    assert "enlarged" in final.message and "coarse scale 1 of 2" in final.message
    # the outcome is data: the coarse image's size and the scale it ended at, of how many
    assert final.enlarged_from == imgs.resize_to(content_image, 64).shape[:2] and final.scales == 2


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


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_a_diverging_run_stops_and_keeps_the_last_good_image(features, content_image, style_image, optimizer):
    """A network whose deepest layer overflows float32 makes the loss infinite at once: the run
    must stop by itself, say so, and hand back a finite image (the starting one)."""
    from nst.vgg import VGGFeatures
    from nst.weights import VGGWeights

    kernels = dict(features.weights.kernels)
    w, b = kernels["block3_conv3"]
    kernels["block3_conv3"] = (w * 1e30, b)
    broken = VGGFeatures(VGGWeights(kernels, features.weights.mean_rgb, "test"))
    config = preset("article", size=48, iterations=30, optimizer=optimizer)
    events = list(stylize(content_image, style_image, config, broken))
    last = events[-1]
    assert last.done and last.status == "diverged"
    assert "NaN or infinite" in last.message and last.iteration < 30
    assert last.image is not None and last.image.dtype == np.uint8
    np.testing.assert_array_equal(last.image, imgs.resize_to(content_image, 48))


@pytest.mark.parametrize("changes,match", [
    ({"size": 5}, "size"), ({"size": 100000}, "size"), ({"alpha": -1}, "alpha"),
    ({"beta": float("nan")}, "beta"), ({"style_layers": (), "content_layers": ()}, "at least one"),
    ({"style_layers": ("block9_conv1",)}, "unknown layer"), ({"iterations": 0}, "iterations"),
    ({"optimizer": "sgd"}, "optimizer"), ({"layer_weights": {"block1_conv1": -2.0}}, "w_l"),
])
def test_absurd_settings_are_refused_in_one_sentence(changes, match):
    with pytest.raises(ValueError, match=match) as info:
        StyleConfig(**changes).validate()
    assert "\n" not in str(info.value)


def test_zero_weights_still_run(features, content_image, style_image):
    """alpha = 0, beta = 0, every w_l = 0 or no style layer: a legal, if dull, run."""
    for changes in ({"alpha": 0.0}, {"beta": 0.0}, {"style_layers": ()},
                    {"layer_weights": {n: 0.0 for n in PRESETS["article"].style_layers}}):
        last = run(content_image, style_image, features, iterations=2, **changes)[-1]
        assert last.done and last.image is not None and isinstance(last, Progress)


def test_config_round_trips_through_a_dict():
    config = preset("gatys", layer_weights={"block1_conv1": 0.5}, style_blend=(1.0, 2.0))
    assert StyleConfig.from_dict(config.to_dict()) == config


def test_colour_helpers():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    b = (rng.integers(0, 60, (20, 30, 3)) + np.array([180, 20, 20])).astype(np.uint8)
    matched = imgs.match_color_histogram(a, b)
    np.testing.assert_allclose(matched.reshape(-1, 3).mean(0), b.reshape(-1, 3).mean(0), atol=3)
    lum = imgs.luminance_transfer(a, b)
    assert lum.shape == a.shape


# --- one formula: the engine's loss is nst.losses, with a one-matmul Gram gradient ----------------

@pytest.mark.parametrize("shape,normalize", [((1, 5, 7, 6), True), ((4, 3, 5), True), ((1, 3, 4, 5), False)])
def test_gram_matrix_gradient_matches_autodiff(shape, normalize):
    """losses.gram_matrix's custom gradient equals autodiff of the plain F^T F (/ M) formula."""
    import tensorflow as tf

    from nst import losses

    rng = np.random.default_rng(7)
    f = tf.constant(rng.normal(size=shape).astype(np.float32))
    weights = tf.constant(rng.normal(size=(shape[-1], shape[-1])).astype(np.float32))  # not symmetric

    def plain(x):
        flat = tf.reshape(x, (-1, shape[-1]))
        g = tf.matmul(tf.transpose(flat), flat)
        return g / tf.cast(tf.shape(flat)[0], tf.float32) if normalize else g

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(f)
        fast = losses.gram_matrix(f, normalize=normalize)
        slow = plain(f)
        fast_loss = tf.reduce_sum(weights * fast) + tf.reduce_sum(tf.square(fast - 1.0))
        slow_loss = tf.reduce_sum(weights * slow) + tf.reduce_sum(tf.square(slow - 1.0))
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-5, atol=1e-6)
    g_fast, g_slow = tape.gradient(fast_loss, f), tape.gradient(slow_loss, f)
    assert g_fast.shape == f.shape
    np.testing.assert_allclose(g_fast.numpy(), g_slow.numpy(), rtol=1e-4, atol=1e-4)
    # and against a central finite difference along a random direction, in float64
    d = rng.normal(size=shape)
    f64, w64 = f.numpy().astype(np.float64), weights.numpy().astype(np.float64)

    def loss64(x):
        flat = x.reshape(-1, shape[-1])
        g = flat.T @ flat / (flat.shape[0] if normalize else 1.0)
        return (w64 * g).sum() + ((g - 1.0) ** 2).sum()

    eps = 1e-5
    numeric = (loss64(f64 + eps * d) - loss64(f64 - eps * d)) / (2 * eps)
    assert float((g_fast.numpy().astype(np.float64) * d).sum()) == pytest.approx(numeric, rel=1e-3)


def test_the_engine_loss_is_nst_losses(features, content_image, style_image):
    """LossModel's terms equal the nst.losses formulas evaluated directly, term by term."""
    import tensorflow as tf

    from nst import losses
    from nst.objective import LossModel

    config = preset("article", size=48, alpha=2.0, beta=1e-2, tv_weight=0.5,
                    layer_weights={"block2_conv1": 3.0})
    content = imgs.resize_to(content_image, 48)
    style = imgs.resize_to(style_image, 48)
    model = LossModel(features, config, content, [style], [1.0])
    x = features.preprocess(np.clip(content.astype(np.float32) + 20.0, 0, 255))
    out = {k: float(v) for k, v in model.terms(x).items()}
    acts = features(x, model.needed)
    c_total, _ = losses.content_loss({k: acts[k] for k in config.content_layers}, model.content_targets)
    s_total, _ = losses.style_loss({k: losses.gram_matrix(acts[k]) for k in config.style_layers},
                                   model.style_targets, config.w_l())
    tv = losses.total_variation_loss(x)
    total = losses.total_loss(c_total, s_total, tv, 2.0, 1e-2, 0.5)
    assert out["content"] == pytest.approx(float(c_total), rel=1e-5)
    assert out["style"] == pytest.approx(float(s_total), rel=1e-5)
    assert out["tv"] == pytest.approx(float(tv), rel=1e-5)
    assert out["total"] == pytest.approx(float(total), rel=1e-5)
    # the gradient is autodiff of the same total
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = features(x, model.needed)
        c, _ = losses.content_loss({k: a[k] for k in config.content_layers}, model.content_targets)
        s, _ = losses.style_loss({k: losses.gram_matrix(a[k]) for k in config.style_layers},
                                 model.style_targets, config.w_l())
        t = losses.total_loss(c, s, losses.total_variation_loss(x), 2.0, 1e-2, 0.5)
    expected = tape.gradient(t, x).numpy()
    got = model.value_and_grad(x)[1].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


# --- compiled once: runs of one structure share a trace ------------------------------------------

def test_runs_with_other_weights_reuse_one_trace(features, content_image, style_image):
    """New alpha, beta, w_l, learning rate, style or optimizer: no retracing for the same shape."""
    from nst import objective

    flat = np.full_like(style_image, 90)
    runs = [dict(optimizer="adam", alpha=1.0), dict(optimizer="lbfgs", beta=0.1),
            dict(optimizer="adam", learning_rate=1.0, layer_weights={"block1_conv1": 0.0}),
            dict(optimizer="lbfgs", alpha=3.0)]
    run(content_image, style_image, features, iterations=2, **runs[0])
    run(content_image, style_image, features, iterations=2, **runs[1])
    entry = next(e for k, e in objective.COMPILED.items() if k[6:8] == ((1, 32, 48, 3), False)
                 and k[4] == tuple(PRESETS["article"].style_layers))
    before = (entry.traces, [fn.experimental_get_tracing_count()
                             for fn in (entry.terms, entry.value_and_grad, entry.adam_step)])
    for changes in runs[2:]:
        run(content_image, [style_image, flat], features, iterations=2, style_blend=(1.0, 2.0), **changes)
    after = (entry.traces, [fn.experimental_get_tracing_count()
                            for fn in (entry.terms, entry.value_and_grad, entry.adam_step)])
    assert after == before
    assert len(objective.COMPILED) <= objective.COMPILED_MAX


def test_lbfgs_restores_the_blas_thread_count(features, content_image, style_image):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    run(content_image, style_image, features, optimizer="lbfgs", iterations=2)
    before = blas_threads()
    gen = stylize(content_image, style_image, preset("article", size=48, iterations=50, optimizer="lbfgs"),
                  features)
    next(gen)
    during = blas_threads()
    gen.close()
    after = blas_threads()
    assert before and during
    assert after == before
    assert all(n == 1 for n in during)


def test_lbfgs_fallback_through_scipy_minimize_matches(features, content_image, style_image, monkeypatch):
    """Where SciPy's private step function is missing, the public minimize() path runs instead."""
    import nst.optimizers as opt

    direct = run(content_image, style_image, features, iterations=8)[-1]
    monkeypatch.setattr(opt, "scipy_setulb", lambda: None)
    events = run(content_image, style_image, features, iterations=8)
    fallback = events[-1]
    assert fallback.done and fallback.status == "finished" and fallback.iteration == 8
    assert fallback.losses["total"] < 0.5 * events[0].losses["total"]
    np.testing.assert_allclose(fallback.losses["total"], direct.losses["total"], rtol=0.05)
    stop = threading.Event()
    config = preset("article", size=48, iterations=200)
    for event in stylize(content_image, style_image, config, features, stop=stop):
        if event.iteration == 2:
            stop.set()
    assert event.status == "stopped" and not [t for t in threading.enumerate() if t.name == "nst-lbfgs"]
