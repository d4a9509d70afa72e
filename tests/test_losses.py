"""The loss formulas against numbers worked out by hand."""
import numpy as np
import pytest

from nst import losses

pytestmark = pytest.mark.unit


def test_gram_matrix_of_a_known_tensor():
    # Two positions (H=1, W=2), two feature maps: F_1 = (1, 2), F_2 = (3, 4).
    f = np.array([[[1.0, 3.0], [2.0, 4.0]]], np.float32)
    raw = losses.gram_matrix(f, normalize=False).numpy()
    # G_11 = 1*1 + 2*2 = 5, G_12 = 1*3 + 2*4 = 11, G_22 = 9 + 16 = 25
    np.testing.assert_allclose(raw, [[5, 11], [11, 25]])
    np.testing.assert_allclose(losses.gram_matrix(f).numpy(), np.array([[5, 11], [11, 25]]) / 2)


def test_gram_matrix_accepts_a_batch_axis_and_any_channel_count():
    f = np.random.default_rng(1).normal(size=(1, 3, 5, 7)).astype(np.float32)
    g = losses.gram_matrix(f).numpy()
    flat = f.reshape(-1, 7)
    np.testing.assert_allclose(g, flat.T @ flat / 15, rtol=1e-5)
    assert g.shape == (7, 7)
    np.testing.assert_allclose(g, g.T, rtol=1e-6)


def test_gram_matrix_is_unchanged_by_flipping_a_feature_map():
    # small integers: every sum is exact in float32, so the equality is exact too
    f = np.random.default_rng(2).integers(0, 5, size=(6, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(losses.gram_matrix(f, normalize=False).numpy(),
                                  losses.gram_matrix(f[::-1, ::-1], normalize=False).numpy())


def test_content_loss_is_the_mean_squared_difference():
    a = np.zeros((2, 2, 1), np.float32)
    b = np.array([[[1.0], [2.0]], [[0.0], [3.0]]], np.float32)
    assert losses.content_loss_layer(b, a).numpy() == pytest.approx((1 + 4 + 0 + 9) / 4)
    total, per = losses.content_loss({"l": b}, {"l": a})
    assert total.numpy() == pytest.approx(3.5) and per["l"].numpy() == pytest.approx(3.5)


def test_style_loss_weights_each_layer():
    g1, s1 = np.eye(2, dtype=np.float32), np.zeros((2, 2), np.float32)   # E = 2/4 = 0.5
    g2, s2 = np.full((2, 2), 2.0, np.float32), np.zeros((2, 2), np.float32)  # E = 4
    total, per = losses.style_loss({"a": g1, "b": g2}, {"a": s1, "b": s2}, {"a": 2.0, "b": 0.5})
    assert per["a"].numpy() == pytest.approx(0.5)
    assert per["b"].numpy() == pytest.approx(4.0)
    assert total.numpy() == pytest.approx(2.0 * 0.5 + 0.5 * 4.0)


def test_total_variation_by_hand():
    img = np.array([[[0.0], [1.0]], [[2.0], [4.0]]], np.float32)  # 2x2, one channel
    # vertical diffs: 2, 3 -> mean of squares 6.5; horizontal: 1, 2 -> 2.5
    assert losses.total_variation_loss(img).numpy() == pytest.approx(9.0)


def test_total_variation_l1_by_hand():
    """The l1 form: the mean length of the gradient at each pixel that has both neighbours, sqrt(. + eps)."""
    img = np.array([[[0.0, 0.0], [3.0, 0.0]], [[0.0, 4.0], [9.0, 9.0]]], np.float32)  # 2x2, two colours
    # only pixel (0,0) has both neighbours: dx = (3, 0), dy = (0, 4) -> sqrt(9 + 16 + eps)
    expected = np.sqrt(25.0 + losses.TV_EPS)
    assert losses.total_variation_loss(img, "l1").numpy() == pytest.approx(expected)
    assert losses.total_variation_loss(img, "l2").numpy() != pytest.approx(expected)
    with pytest.raises(ValueError, match="total variation"):
        losses.total_variation_loss(img, "l3")


def test_l1_total_variation_keeps_an_edge_that_l2_blurs():
    """A step edge costs l1 its height once, whatever the ramp; l2 pays less for a spread-out ramp.

    So l2 prefers a blurred edge, l1 is as happy with the sharp one: flat areas, sharp edges."""
    sharp = np.repeat(np.array([[0.0] * 8 + [200.0] * 8], np.float32), 4, axis=0)[..., None]
    ramp = np.repeat(np.linspace(0.0, 200.0, 16, dtype=np.float32)[None], 4, axis=0)[..., None]
    l2 = [float(losses.total_variation_loss(x, "l2")) for x in (sharp, ramp)]
    l1 = [float(losses.total_variation_loss(x, "l1")) for x in (sharp, ramp)]
    assert l2[1] < l2[0] / 5                       # squared: the ramp is far cheaper
    assert l1[1] == pytest.approx(l1[0], rel=0.1)  # length: about the same total change


def test_total_loss_combines_alpha_beta_and_tv():
    assert float(losses.total_loss(2.0, 3.0, 5.0, alpha=10, beta=0.1, tv_weight=2)) == pytest.approx(20 + 0.3 + 10)
    assert float(losses.total_loss(2.0, 3.0, 5.0, alpha=10, beta=0.1)) == pytest.approx(20.3)


def test_dog_example_same_gram_different_content():
    from nst.toy import dog_example

    ex = dog_example()
    np.testing.assert_array_equal(ex["gram_a"], ex["gram_b"])
    assert ex["style_loss"] == 0.0
    assert ex["content_loss"] > 0.05
