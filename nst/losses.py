"""The loss functions of neural style transfer, in the article's notation.

Every function takes activations as tensors of shape (H, W, C) or (1, H, W, C)
(one image; a batch axis of 1 is dropped) and returns float32 scalars. The
functions are pure: no globals, no channel count hard-coded. Each loss comes
back per layer as well as summed, because a teaching UI shows every term.

Normalisation (shown in the UI next to each formula):

* Content loss of layer l:  L_content^l = mean_{i,j} (A^l_ij(g) - A^l_ij(c))^2
  (the mean over the C_l feature maps i and the M_l = H_l * W_l positions j).
* Gram matrix:              G^l_ij = (1 / M_l) * sum_k F^l_ik F^l_jk
  (the article's sum over positions, divided by M_l so that the same picture at
  two sizes has comparable Gram matrices; ``normalize=False`` gives the raw sum).
* Style loss of layer l:    E_l = mean_{i,j} (G^l_ij(g) - G^l_ij(s))^2
  which equals 4x Gatys et al.'s E_l = 1/(4 N_l^2 M_l^2) sum (G - A)^2.
* Mean-and-covariance style loss of layer l (``style_loss="meancov"``): the Gram
  matrix is the covariance plus the outer product of the mean maps,
  G = Cov + mu mu^T; matching the two parts apart,
  E_l = mean_{i,j} (Cov_ij(g) - Cov_ij(s))^2 + mean_{i,j} (mu_i mu_j(g) - mu_i mu_j(s))^2,
  keeps the mean colours of the maps from drowning the covariance, which carries
  the texture (the idea of crowsonkb/style-transfer-pytorch's mean-and-covariance loss).
* Style loss:               L_style = sum_l w_l E_l  (with ``normalize``, w_l / mean(G^l(s)^2):
  each layer's term relative to the size of the painting's own statistics there, so
  no layer dominates by the size of its activations alone)
* Total variation:          L_tv = mean (g[y+1,x] - g[y,x])^2 + mean (g[y,x+1] - g[y,x])^2
  or, with ``norm="l1"``, the mean length of the gradient,
  L_tv = mean sqrt(|g[y+1,x] - g[y,x]|^2 + |g[y,x+1] - g[y,x]|^2 + eps)  (over the colours too, eps = 1):
  the squared form smooths every edge; the length makes flat areas with sharp edges
  between them, as a painted plane has (Rudin, Osher and Fatemi's total variation)
* Total loss:               L = alpha L_content + beta L_style + tv_weight L_tv
"""
from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from .config import STYLE_LOSSES, TV_NORMS

TV_EPS = 1.0  # (grey levels)^2: keeps the l1 form smooth where neighbouring pixels are equal


def _drop_batch(features: tf.Tensor) -> tf.Tensor:
    """(1, H, W, C) or (H, W, C) -> (H, W, C).

    A squeeze (a reshape), not ``features[0]``: the gradient of a slice is a pad (a copy
    of the whole activation) while the gradient of a reshape is a free reshape.
    """
    features = tf.convert_to_tensor(features, dtype=tf.float32)
    if features.shape.rank == 4:
        if features.shape[0] not in (None, 1):
            raise ValueError(f"expected one image (a batch axis of 1), got {features.shape}")
        features = tf.squeeze(features, axis=0)
    if features.shape.rank != 3:
        raise ValueError(f"expected activations of shape (H, W, C) or (1, H, W, C), got {features.shape}")
    return features


def _gram_with_gradient(flat: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """scale * F^T F for F of shape (M, C), with a one-matmul gradient.

    Autodiff of F^T F takes two matmuls and a sum for dL/dF; since G is symmetric in
    F, dL/dF = scale * F (dL/dG + dL/dG^T) is one matmul on a (C, C) matrix.
    """

    @tf.custom_gradient
    def gram(f):
        g = tf.matmul(f, f, transpose_a=True) * scale

        def grad(upstream):
            return tf.matmul(f, (upstream + tf.transpose(upstream)) * scale)

        return g, grad

    return gram(flat)


def gram_matrix(features: tf.Tensor, normalize: bool = True) -> tf.Tensor:
    """G_ij = sum_k F_ik F_jk over the positions k of feature maps i and j, shape (C, C).

    With ``normalize`` (the default) the sum is divided by the number of
    positions M = H * W. The gradient is the exact one, computed in one matmul
    (see :func:`_gram_with_gradient`).
    """
    f = _drop_batch(features)
    flat = tf.reshape(f, (-1, tf.shape(f)[-1]))  # (M, C): one row per position, no copy
    scale = 1.0 / tf.cast(tf.shape(flat)[0], tf.float32) if normalize else tf.constant(1.0)
    return _gram_with_gradient(flat, scale)




def style_statistics(features: tf.Tensor, kind: str = "gram") -> tf.Tensor:
    """What the style loss of ``kind`` compares at one layer.

    ``gram``: the Gram matrix, (C, C). ``meancov``: the covariance with the mean maps
    stacked under it as one more row, (C + 1, C).
    """
    if kind == "gram":
        return gram_matrix(features)
    if kind != "meancov":
        raise ValueError(f"style loss must be one of {', '.join(STYLE_LOSSES)}, not {kind!r}")
    f = _drop_batch(features)
    flat = tf.reshape(f, (-1, tf.shape(f)[-1]))
    mean = tf.reduce_mean(flat, axis=0, keepdims=True)  # (1, C)
    cov = gram_matrix(f) - tf.matmul(mean, mean, transpose_a=True)
    return tf.concat([cov, mean], axis=0)


def statistics_scale(target: tf.Tensor, kind: str = "gram") -> float:
    """mean(G^2) of the painting's Gram matrix at a layer (from its statistics of ``kind``)."""
    if kind == "meancov":
        cov, mean = target[:-1], target[-1:]
        target = cov + tf.matmul(mean, mean, transpose_a=True)
    return float(tf.reduce_mean(tf.square(target)))


def content_loss_layer(generated: tf.Tensor, content: tf.Tensor) -> tf.Tensor:
    """L_content^l = mean over feature maps and positions of (A(g) - A(c))^2."""
    return tf.reduce_mean(tf.square(_drop_batch(generated) - _drop_batch(content)))


def style_loss_layer(generated: tf.Tensor, style: tf.Tensor, kind: str = "gram") -> tf.Tensor:
    """E_l from two :func:`style_statistics` of ``kind``.

    ``gram``: mean over (i, j) of (G_ij(g) - G_ij(s))^2. ``meancov``: the same for the
    covariance, plus the same for the outer product of the mean maps.
    """
    if kind == "gram":
        return tf.reduce_mean(tf.square(generated - style))
    cov_g, mean_g = generated[:-1], generated[-1:]
    cov_s, mean_s = style[:-1], style[-1:]
    outer = tf.matmul(mean_g, mean_g, transpose_a=True) - tf.matmul(mean_s, mean_s, transpose_a=True)
    return tf.reduce_mean(tf.square(cov_g - cov_s)) + tf.reduce_mean(tf.square(outer))


def content_loss(generated: Mapping[str, tf.Tensor], content: Mapping[str, tf.Tensor],
                 weights: Mapping[str, float] | None = None) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """Content loss summed over the layers in ``content`` (weights default to 1 each).

    Returns (total, {layer: L_content^l}); the per-layer terms are unweighted.
    """
    per_layer = {name: content_loss_layer(generated[name], target) for name, target in content.items()}
    total = tf.add_n([per_layer[n] * _weight((weights or {}).get(n, 1.0)) for n in per_layer]) \
        if per_layer else tf.constant(0.0)
    return total, per_layer


def style_loss(generated_grams: Mapping[str, tf.Tensor], style_grams: Mapping[str, tf.Tensor],
               layer_weights: Mapping[str, float], kind: str = "gram") -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """L_style = sum_l w_l E_l over the layers in ``style_grams`` (statistics of ``kind``).

    Returns (total, {layer: E_l}); the per-layer terms are before w_l. The weights may be
    numbers or float32 scalar tensors (so that one compiled loss serves any w_l); a layer
    missing from ``layer_weights`` counts with w_l = 1, as in ``StyleConfig.w_l``.
    """
    per_layer = {name: style_loss_layer(generated_grams[name], target, kind) for name, target in style_grams.items()}
    total = tf.add_n([per_layer[n] * _weight(layer_weights.get(n, 1.0)) for n in per_layer]) \
        if per_layer else tf.constant(0.0)
    return total, per_layer


def total_variation_loss(image: tf.Tensor, norm: str = "l2") -> tf.Tensor:
    """L_tv: "l2" = the mean squared difference of vertically and horizontally neighbouring
    pixels; "l1" = the mean length of the colour gradient (both neighbours, all colours)."""
    if norm not in TV_NORMS:
        raise ValueError(f"Unknown total variation {norm!r}; choose from {', '.join(TV_NORMS)}.")
    x = _drop_batch(image)
    dy = x[1:, :, :] - x[:-1, :, :]
    dx = x[:, 1:, :] - x[:, :-1, :]
    if norm == "l1":  # the pixels that have both neighbours: both differences at the same place
        squared = tf.square(dy[:, :-1, :]) + tf.square(dx[:-1, :, :])
        return tf.reduce_mean(tf.sqrt(tf.reduce_sum(squared, axis=-1) + TV_EPS))
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


def total_loss(content_term: tf.Tensor, style_term: tf.Tensor, tv_term: tf.Tensor | None,
               alpha: float, beta: float, tv_weight: float = 0.0) -> tf.Tensor:
    """L = alpha L_content + beta L_style + tv_weight L_tv (weights: numbers or scalar tensors)."""
    loss = alpha * content_term + beta * style_term
    if tv_term is not None and (tf.is_tensor(tv_weight) or tv_weight):
        loss = loss + tv_weight * tv_term
    return loss


def _weight(w) -> tf.Tensor | float:
    """A layer weight as a float, or as the float32 tensor it already is (inside a compiled loss)."""
    return tf.cast(w, tf.float32) if tf.is_tensor(w) else float(w)
