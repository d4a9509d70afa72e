"""The options behind the default preset: mean-and-covariance loss, normalised layers,
reflect padding, geometric coarse-to-fine scales with more iterations where they are cheap."""
import numpy as np
import pytest
import tensorflow as tf

from nst import losses
from nst.config import DEFAULT_PRESET, PRESETS, StyleConfig, preset
from nst.objective import LossModel
from nst.optimize import scale_plan, scale_sizes, split_iterations, stylize

pytestmark = pytest.mark.unit


def test_meancov_statistics_split_the_gram_matrix_into_covariance_and_mean():
    rng = np.random.default_rng(1)
    f = tf.constant(rng.random((5, 7, 4)), tf.float32)
    stats = losses.style_statistics(f, "meancov").numpy()
    flat = f.numpy().reshape(-1, 4)
    mean = flat.mean(0)
    np.testing.assert_allclose(stats[-1], mean, rtol=1e-5)
    np.testing.assert_allclose(stats[:-1], np.cov(flat.T, bias=True), rtol=1e-4, atol=1e-6)
    # covariance + mean mean^T is the Gram matrix again
    np.testing.assert_allclose(stats[:-1] + np.outer(mean, mean), losses.gram_matrix(f).numpy(), rtol=1e-4)
    # a shifted copy has the same covariance but another mean: meancov sees it, separately
    shifted = losses.style_statistics(f + 1.0, "meancov")
    e = float(losses.style_loss_layer(shifted, stats, "meancov"))
    cov_part = float(tf.reduce_mean(tf.square(shifted[:-1] - stats[:-1])))
    assert e > 0 and cov_part < 1e-8


def test_unknown_style_loss_is_refused():
    with pytest.raises(ValueError, match="style loss"):
        losses.style_statistics(tf.zeros((2, 2, 3)), "w3")
    with pytest.raises(ValueError, match="style_loss"):
        StyleConfig(style_loss="w3").validate()


def test_normalised_layers_weigh_each_layer_by_its_targets_size(features, content_image, style_image):
    config = preset("gatys", size=48, normalize=True)
    model = LossModel(features, config, content_image, [style_image], [1.0])
    style_w = [1.0 / losses.statistics_scale(model.style_targets[name]) for name in model.style_layers]
    # the painting itself has zero style loss and its own content has zero content loss
    plain = preset("gatys", size=48)
    x = features.preprocess(content_image)
    assert float(LossModel(features, plain, content_image, [style_image], [1.0]).terms(x)["content"]) == 0.0
    # L_style = sum_l w_l E_l with w_l = 1 / (the size of the layer's target), seen through the public terms
    terms = {k: float(v) for k, v in model.terms(x).items()}
    weighted = [terms[f"style/{n}"] * style_w[k] for k, n in enumerate(model.style_layers)]
    assert terms["style"] == pytest.approx(sum(weighted), rel=1e-4)
    assert max(style_w) / min(style_w) > 10  # the layers' sizes differ, so the sum tells the weights apart
    # normalised, a layer at the start of the run (content init) costs about its relative error: O(1), not O(size)
    assert max(weighted) < 50 and min(weighted) > 1e-4


def test_reflect_padding_has_no_border_band(features):
    """A flat grey picture gives flat activations with reflect padding; zero padding makes a frame."""
    grey = np.full((40, 40, 3), 128, np.uint8)
    x = features.preprocess(grey)
    zero = features.variant(padding="zero")(x, ["block1_conv2"])["block1_conv2"].numpy()[0]
    refl = features.variant(padding="reflect")(x, ["block1_conv2"])["block1_conv2"].numpy()[0]
    assert np.ptp(refl, axis=(0, 1)).max() < 1e-3
    assert np.ptp(zero, axis=(0, 1)).max() > 1.0
    np.testing.assert_allclose(zero[10:30, 10:30], refl[10:30, 10:30], rtol=1e-4, atol=1e-3)  # same inside
    with pytest.raises(ValueError, match="padding"):
        features.variant(padding="wrap")


def test_geometric_scales_and_coarse_heavy_iterations():
    assert scale_sizes(512, 5, min_size=128) == [128, 181, 256, 362, 512]
    assert scale_sizes(512, 3) == [128, 256, 512]
    assert scale_sizes(100, 5, min_size=96) == [96, 97, 98, 99, 100]
    assert scale_sizes(100, 8, min_size=99) == [99, 100]  # repeats are dropped
    assert split_iterations(10, 3, [1, 1, 1]) == split_iterations(10, 3) == [3, 3, 4]
    counts = split_iterations(300, 5, [4.0, 2.0, 1.0, 0.5, 0.25])
    assert sum(counts) == 300 and counts == sorted(counts, reverse=True) and counts[-1] >= 1
    assert split_iterations(3, 5, [16, 8, 4, 2, 1]) == [2, 1, 0, 0, 0]
    config = StyleConfig(size=512, scales=5, min_size=128, iterations=200, coarse_weight=1.0, style_size=600)
    plan = scale_plan(config)
    assert [s.size for s in plan] == [128, 181, 256, 362, 512]
    assert sum(s.iterations for s in plan) == 200 and plan[0].iterations > plan[-1].iterations
    assert plan[-1].style_size == 600 and plan[0].style_size == 150


def test_the_default_preset_runs_its_whole_plan(features, content_image, style_image):
    assert DEFAULT_PRESET in PRESETS and "article" in PRESETS
    config = preset(DEFAULT_PRESET, size=64, iterations=6, min_size=32)
    events = list(stylize(content_image, style_image, config, features, image_every=0))
    final = events[-1]
    assert final.status == "finished" and final.iteration == 6
    assert final.image.shape == (43, 64, 3)
    assert {e.scale for e in events} == set(range(len(scale_plan(config))))


def test_reflect_padding_works_down_to_a_one_pixel_map(features, content_image):
    """A 16 px painting reaches block5 as 1x1 maps: mirrored padding must still work there."""
    config = preset(DEFAULT_PRESET, size=64, iterations=2, scales=1, style_size=16)
    final = list(stylize(content_image, content_image[:20, :20], config, features, image_every=0))[-1]
    assert final.status == "finished" and final.image.shape == (43, 64, 3)


def test_a_run_with_nothing_to_optimise_returns_its_start_image(features, content_image, style_image):
    start = np.full((10, 10, 3), 77, np.uint8)
    config = preset("article", size=48, iterations=3, scales=1, alpha=0.0, beta=0.0, init="image")
    final = list(stylize(content_image, style_image, config, features, init_image=start))[-1]
    assert final.status == "finished"
    assert np.abs(final.image.astype(int) - 77).max() <= 1


def test_the_final_event_carries_the_float_image(features, content_image, style_image):
    final = list(stylize(content_image, style_image, preset("article", size=48, iterations=3), features))[-1]
    assert final.image_float.dtype == np.float32 and final.image_float.shape == final.image.shape
    assert np.abs(final.image_float - final.image).max() <= 0.5 + 1e-4


def test_the_cli_sets_every_art_option():
    from nst.__main__ import build_parser, config_from_args

    args = build_parser().parse_args(["stylize", "a.jpg", "b.jpg", "--style-loss", "meancov", "--no-normalize",
                                      "--coarse-weight", "0.75", "--content-detail", "0.25", "--padding", "zero"])
    config = config_from_args(args)
    assert (config.preset, config.style_loss, config.normalize, config.coarse_weight, config.content_detail,
            config.padding) == (DEFAULT_PRESET, "meancov", False, 0.75, 0.25, "zero")
    assert config_from_args(build_parser().parse_args(["stylize", "a.jpg", "b.jpg"])) == PRESETS[DEFAULT_PRESET]


def test_transfer_colors_gives_the_palettes_mean_and_covariance_and_keeps_the_shading():
    from nst.images import transfer_colors

    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:40, 0:60]
    photo = np.stack([2 * x + 40, 3 * y + 30, (x + y) + 60], -1) + rng.normal(0, 8, (40, 60, 3))
    photo = np.clip(photo, 0, 255).astype(np.uint8)  # a colour ramp with some grain
    blue = np.clip(rng.normal((40, 70, 160), (10, 15, 30), (50, 50, 3)), 0, 255).astype(np.uint8)
    out = transfer_colors(photo, [blue]).reshape(-1, 3).astype(float)
    want = blue.reshape(-1, 3).astype(float)
    np.testing.assert_allclose(out.mean(0), want.mean(0), atol=1.5)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.cov(want, rowvar=False), rtol=0.1, atol=15)
    # the photo's shading is kept: its luminance ramp is still there, monotone along x
    luma = transfer_colors(photo, [blue]).astype(float) @ [0.299, 0.587, 0.114]
    assert np.corrcoef(luma.ravel(), (photo.astype(float) @ [0.299, 0.587, 0.114]).ravel())[0, 1] > 0.9
    # a blend of two palettes lands between them, by weight
    red = np.zeros((10, 10, 3), np.uint8) + np.array([120, 50, 60], np.uint8)
    mixed = transfer_colors(photo, [blue, red], [3.0, 1.0]).reshape(-1, 3).mean(0)
    expected = 0.75 * want.mean(0) + 0.25 * np.array([120, 50, 60])
    np.testing.assert_allclose(mixed, expected, atol=2.0)


def test_recolored_init_starts_from_the_photo_in_the_paintings_colours(features, content_image, style_image):
    from nst.images import resize_to, transfer_colors

    config = preset(DEFAULT_PRESET, size=48, scales=1, iterations=1, init="recolored")
    final = list(stylize(content_image, style_image, config, features, image_every=1))[-1]
    photo = resize_to(content_image, 48).astype(float)
    start = transfer_colors(resize_to(content_image, 48), [resize_to(style_image, 48)]).astype(float)
    assert np.abs(start - photo).mean() > 10  # the fixtures' colours differ, so the test can tell them apart
    # one L-BFGS step from the recoloured photo: still much closer to it than to the plain photo
    got = final.image.astype(float)
    assert np.abs(got - start).mean() < 0.5 * np.abs(got - photo).mean()
