"""The computations behind the teaching pages, in the article's notation. No Streamlit.

Every number comes from :mod:`nst.losses` (content loss, Gram matrix, style
loss, total variation, total loss) or from :func:`nst.optimize.stylize` (the
reconstructions); this module only arranges inputs and outputs for a view.

Shapes: images are (H, W, 3) uint8 RGB; activations A^l are (H_l, W_l, C_l)
float32 numpy arrays (the batch axis dropped); Gram matrices G^l are (C_l, C_l).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
from . import images as imgs
from . import losses
from .config import GATYS_STYLE_LAYERS, StyleConfig
from .optimize import Progress, stylize
from .vgg import VGGFeatures
from .weights import LAYERS

# Gatys et al., Figure 1: content and style are reconstructed from conv1_1 .. conv5_1.
RECONSTRUCTION_LAYERS = GATYS_STYLE_LAYERS


def block_of(layer: str) -> int:
    """'block3_conv2' -> 3."""
    return int(layer[len("block")])


# --- activations --------------------------------------------------------------
def activations(features: VGGFeatures, rgb: np.ndarray, layers: Sequence[str]) -> dict[str, np.ndarray]:
    """A^l(I) for each layer in ``layers``: {layer: (H_l, W_l, C_l) float32} for the image I = ``rgb``."""
    out = features(features.preprocess(rgb), list(layers))
    return {name: np.asarray(value[0], np.float32) for name, value in out.items()}


def strongest_maps(maps: np.ndarray, count: int | None = None) -> np.ndarray:
    """Indices i of the feature maps A_i, most active first (by mean activation).

    Many maps of a layer are almost all zero for a given picture; showing the
    active ones first makes a grid worth looking at.
    """
    order = np.argsort(-maps.reshape(-1, maps.shape[-1]).mean(axis=0), kind="stable")
    return order if count is None else order[:count]


# --- content --------------------------------------------------------------------
def perturb(rgb: np.ndarray, how: str, amount: float = 0.0, seed: int = 0) -> np.ndarray:
    """A changed copy of an image, to play the generated image g against the content image c.

    ``how``: 'noise' (Gaussian noise of std ``amount`` grey levels), 'shift'
    (moved right and down by ``amount`` px, wrapping around: see :func:`shifted_pair` for a shift
    without the seam this leaves), 'upside down' (flipped vertically) or 'same' (unchanged).
    """
    if how == "same":
        return rgb.copy()
    if how == "noise":
        rng = np.random.default_rng(seed)
        noisy = rgb.astype(np.float32) + rng.normal(0.0, float(amount), rgb.shape)
        return np.clip(noisy, 0, 255).round().astype(np.uint8)
    if how == "shift":
        k = int(round(amount))
        return np.roll(rgb, (k, k), axis=(0, 1))
    if how == "upside down":
        return np.ascontiguousarray(rgb[::-1])
    raise ValueError(f"unknown change {how!r}; choose noise, shift, upside down or same")


def shifted_pair(rgb: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """(c, g): two crops of one picture, g showing the same scene moved ``shift`` px right and down.

    Both are the picture less ``shift`` px at two edges, so neither has an artificial edge or a
    wrapped-around seam: every difference between them is the movement itself.
    """
    k = max(0, int(round(shift)))
    h, w = rgb.shape[:2]
    if k == 0:
        return rgb.copy(), rgb.copy()
    if k >= min(h, w) // 2:
        raise ValueError(f"a shift of {k} px is too large for a {w} x {h} px picture")
    c = np.ascontiguousarray(rgb[k:, k:])
    g = np.ascontiguousarray(rgb[: h - k, : w - k])
    return c, g


def content_comparison(features: VGGFeatures, content_rgb: np.ndarray, generated_rgb: np.ndarray,
                       layers: Sequence[str] = tuple(LAYERS)) -> dict:
    """A^l(c), A^l(g) and L_content^l for each layer.

    Returns {"content": {l: A^l(c)}, "generated": {l: A^l(g)}, "loss": {l: L_content^l},
    "relative": {l: L_content^l / mean(A^l(c)^2)}}. The relative loss divides by the
    content loss of an all-zero g-activation, so layers of different scale compare.
    """
    if content_rgb.shape != generated_rgb.shape:
        generated_rgb = imgs.resize_exact(generated_rgb, *content_rgb.shape[:2])
    a_c = activations(features, content_rgb, layers)
    a_g = activations(features, generated_rgb, layers)
    loss = {l: float(losses.content_loss_layer(a_g[l], a_c[l])) for l in layers}
    scale = {l: float(losses.content_loss_layer(np.zeros_like(a_c[l]), a_c[l])) for l in layers}
    relative = {l: loss[l] / scale[l] if scale[l] > 0 else 0.0 for l in layers}
    return {"content": a_c, "generated": a_g, "loss": loss, "relative": relative}


def content_reconstruction_config(layer: str, size: int = 96, iterations: int = 40, seed: int = 0,
                                  scales: int = 2, min_size: int = 0, tv_weight: float = 0.0) -> StyleConfig:
    """Settings that reconstruct an image from A^l(c) alone: alpha = 1, beta = 0, g starts as noise.

    The engine's multi-scale L-BFGS: ``scales`` sizes from ``min_size`` (0: automatic) up to ``size``, the
    iterations split between them; the coarse scales lay out the picture cheaply, so deep layers, whose
    activations say little about single pixels, still give back the arrangement at 192 px and more.
    ``tv_weight`` > 0 adds a light smoothness prior (as Mahendran & Vedaldi do; Gatys et al. do not): what
    the layer leaves free is then left smooth instead of filled with high-frequency noise.
    """
    return StyleConfig(preset="custom", content_layers=(layer,), style_layers=(), alpha=1.0, beta=0.0,
                       tv_weight=float(tv_weight), optimizer="lbfgs", iterations=int(iterations), size=int(size),
                       init="noise", seed=int(seed), scales=int(scales), min_size=int(min_size))


def style_reconstruction_config(layers: Sequence[str], size: int = 96, iterations: int = 40,
                                seed: int = 0) -> StyleConfig:
    """Settings that reconstruct a texture from the G^l(s) alone: alpha = 0, beta = 1, uniform w_l."""
    return StyleConfig(preset="custom", content_layers=(), style_layers=tuple(layers), alpha=0.0, beta=1.0,
                       tv_weight=0.0, optimizer="lbfgs", iterations=int(iterations), size=int(size),
                       init="noise", seed=int(seed))


def reconstruct_content(features: VGGFeatures, content_rgb: np.ndarray, layer: str, size: int = 96,
                        iterations: int = 40, seed: int = 0, scales: int = 2, min_size: int = 0,
                        tv_weight: float = 0.0) -> Iterator[Progress]:
    """Gatys Figure 1 (content): start g from noise and minimise L_content at ``layer`` only.

    A thin call of :func:`nst.optimize.stylize` with ``image_every=0`` (the image cadence: only the
    last event, ``done=True``, carries the image); yields its progress events. The style image is
    unused (beta = 0).
    """
    config = content_reconstruction_config(layer, size, iterations, seed, scales, min_size, tv_weight)
    return stylize(content_rgb, content_rgb, config, features=features, image_every=0)


def reconstruct_style(features: VGGFeatures, style_rgb: np.ndarray, layers: Sequence[str], size: int = 96,
                      iterations: int = 40, seed: int = 0) -> Iterator[Progress]:
    """Gatys Figure 1 (style): start g from noise and minimise sum_l w_l E_l over ``layers`` only.

    The style image also gives g its shape; alpha = 0 so its content plays no part.
    """
    config = style_reconstruction_config(layers, size, iterations, seed)
    return stylize(style_rgb, style_rgb, config, features=features, image_every=0)


def growing_layer_sets(layers: Sequence[str] = RECONSTRUCTION_LAYERS) -> list[tuple[str, ...]]:
    """[(l1,), (l1, l2), ..., (l1, ..., ln)]: the style layer sets of Gatys Figure 1."""
    return [tuple(layers[: k + 1]) for k in range(len(layers))]


def final(events: Iterator[Progress], each: Callable[[], object] | None = None) -> Progress:
    """Drive a progress generator to its end and return the last event; ``each()`` after every event
    (the app's heartbeat in the run queue)."""
    last = None
    for last in events:
        if each is not None:
            each()
    if last is None:
        raise ValueError("the optimisation produced no result")
    return last


# --- style ------------------------------------------------------------------------
def gram(maps: np.ndarray, normalize: bool = True) -> np.ndarray:
    """G^l of (H, W, C) activations as a numpy (C, C) array (see :func:`nst.losses.gram_matrix`)."""
    return np.asarray(losses.gram_matrix(maps, normalize=normalize))


def gram_cell(maps: np.ndarray, i: int, j: int) -> dict:
    """How one entry G_ij is made: the element-wise product of maps i and j, summed, divided by M.

    Returns F_i, F_j, product (all (H, W)), the sum over positions, M = H * W,
    by_hand = sum / M, and gram = G_ij as :func:`nst.losses.gram_matrix` computes it.
    """
    c = maps.shape[-1]
    if not (0 <= i < c and 0 <= j < c):
        raise ValueError(f"feature map indices must be between 0 and {c - 1}")
    f_i = maps[..., i].astype(np.float64)
    f_j = maps[..., j].astype(np.float64)
    product = f_i * f_j
    total = float(product.sum())
    m = int(maps.shape[0] * maps.shape[1])
    return {"F_i": f_i, "F_j": f_j, "product": product, "sum": total, "M": m, "by_hand": total / m,
            "gram": float(gram(maps)[i, j])}


def largest_off_diagonal(gram_matrix: np.ndarray, among: Sequence[int] | None = None) -> tuple[int, int]:
    """(i, j), i != j, of the largest Gram entry, optionally only among the map indices ``among``."""
    idx = np.arange(gram_matrix.shape[0]) if among is None else np.asarray(among)
    sub = np.array(gram_matrix[np.ix_(idx, idx)], np.float64)
    if len(idx) < 2:
        return int(idx[0]), int(idx[0])
    np.fill_diagonal(sub, -np.inf)
    a, b = np.unravel_index(int(np.argmax(sub)), sub.shape)
    return int(idx[a]), int(idx[b])


# --- the dog on a real image ------------------------------------------------------------
def flip_demo(features: VGGFeatures, rgb: np.ndarray, layer: str, other_rgb: np.ndarray | None = None) -> dict:
    """The article's dog / upside-down dog, on a real picture at one layer.

    * "flipped maps": A^l(c) turned upside down (numpy flip of the feature maps).
      The Gram matrix sums over positions, so it is exactly the same (up to float
      rounding); the content loss against A^l(c) is large.
    * "flipped input": the picture itself turned upside down and run through
      VGG-16 again. VGG's filters are not symmetric under flips, so its Gram
      matrix is only approximately that of the picture.
    * "other picture" (if given): a different picture, to show what a large
      style loss looks like at this layer.

    Returns the maps and Grams and, for each case, ``content_loss`` (vs A^l(c)) and
    ``style_loss`` E_l (vs G^l(c)), plus ``max_gram_diff`` (the largest |G - G^l(c)|) and the three
    parts of the content loss, ``content_loss = energy_c + energy - 2 overlap``: ``energy_c`` = mean A^l(c)^2,
    ``energy`` = mean A^l(case)^2 and ``overlap`` = mean A^l(c) A^l(case) (activations are >= 0 after
    the ReLU, so the overlap is large only where both fire at the same places).
    """
    maps = activations(features, rgb, [layer])[layer]
    flipped_maps = np.ascontiguousarray(np.flip(maps, axis=0))
    flipped_input = activations(features, np.ascontiguousarray(rgb[::-1]), [layer])[layer]
    gram_maps = gram(maps)
    cases = {"flipped maps": flipped_maps, "flipped input": flipped_input}
    if other_rgb is not None:
        other = imgs.resize_exact(other_rgb, *rgb.shape[:2])
        cases["other picture"] = activations(features, other, [layer])[layer]
    out = {"maps": maps, "gram": gram_maps, "cases": {}}
    for name, a in cases.items():
        gram_case = gram(a)
        out["cases"][name] = {
            "maps": a,
            "gram": gram_case,
            "content_loss": float(losses.content_loss_layer(a, maps)),
            "style_loss": float(losses.style_loss_layer(gram_case, gram_maps)),
            "max_gram_diff": float(np.max(np.abs(gram_case - gram_maps))),
            "energy_c": float(np.mean(np.square(maps, dtype=np.float64))),
            "energy": float(np.mean(np.square(a, dtype=np.float64))),
            "overlap": float(np.mean(maps.astype(np.float64) * a.astype(np.float64))),
        }
    return out


# --- the loss playground ------------------------------------------------------------------
@dataclass
class LossInputs:
    """What the total loss needs from one generated image g, computed once.

    Everything that depends on alpha, beta, w_l or the tv weight is left out, so
    :func:`combine` can recombine the weights instantly when a slider moves.
    """

    content_generated: dict[str, np.ndarray]   # A^l(g) at the content layers
    content_target: dict[str, np.ndarray]      # A^l(c)
    gram_generated: dict[str, np.ndarray]      # G^l(g) at the style layers
    gram_style: dict[str, np.ndarray]          # G^l(s)
    generated_x: np.ndarray                    # g as it enters VGG-16 (1, H, W, 3), for L_tv
    content_layers: tuple[str, ...] = ()
    style_layers: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def loss_inputs(features: VGGFeatures, generated_rgb: np.ndarray, content_rgb: np.ndarray,
                style_rgb: np.ndarray, content_layers: Sequence[str], style_layers: Sequence[str]) -> LossInputs:
    """Run VGG-16 once per image and keep A^l(g), A^l(c), G^l(g), G^l(s) and g."""
    content_layers, style_layers = tuple(content_layers), tuple(style_layers)
    if generated_rgb.shape != content_rgb.shape:
        generated_rgb = imgs.resize_exact(generated_rgb, *content_rgb.shape[:2])
    needed = list(dict.fromkeys(content_layers + style_layers))
    a_g = activations(features, generated_rgb, needed)
    a_c = activations(features, content_rgb, content_layers)
    a_s = activations(features, style_rgb, style_layers)
    return LossInputs(
        content_generated={l: a_g[l] for l in content_layers},
        content_target=a_c,
        gram_generated={l: gram(a_g[l]) for l in style_layers},
        gram_style={l: gram(a_s[l]) for l in style_layers},
        generated_x=np.asarray(features.preprocess(generated_rgb)),
        content_layers=content_layers,
        style_layers=style_layers,
    )


def combine(inputs: LossInputs, alpha: float, beta: float, layer_weights: Mapping[str, float],
            tv_weight: float = 0.0) -> dict[str, float]:
    """Every term of L = alpha L_content + beta sum_l w_l E_l + tv_weight L_tv, from :mod:`nst.losses`.

    Keys: 'content' (L_content), 'style' (sum_l w_l E_l), 'tv' (L_tv), 'total' (L),
    'E/<layer>' (E_l before w_l), 'weighted/content' (alpha L_content),
    'weighted/style/<layer>' (beta w_l E_l), 'weighted/tv' (tv_weight L_tv).
    """
    weights = {l: float(layer_weights.get(l, 1.0)) for l in inputs.style_layers}
    c_total, _ = losses.content_loss(inputs.content_generated, inputs.content_target)
    s_total, s_layers = losses.style_loss(inputs.gram_generated, inputs.gram_style, weights)
    tv = losses.total_variation_loss(inputs.generated_x)
    total = losses.total_loss(c_total, s_total, tv, alpha, beta, tv_weight)
    out = {"content": float(c_total), "style": float(s_total), "tv": float(tv), "total": float(total),
           "weighted/content": float(alpha) * float(c_total), "weighted/tv": float(tv_weight) * float(tv)}
    for name, e in s_layers.items():
        out[f"E/{name}"] = float(e)
        # beta * (w_l E_l): the layer's share of beta L_style, through the library's style_loss.
        single, _ = losses.style_loss({name: inputs.gram_generated[name]}, {name: inputs.gram_style[name]},
                                      {name: weights[name]})
        out[f"weighted/style/{name}"] = float(beta) * float(single)
    return out


def noise_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """The noise a run starts from with init='noise' (grey 128, std 50), as uint8."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(128.0, 50.0, size=shape), 0, 255).round().astype(np.uint8)


def stylize_events(features: VGGFeatures, content_rgb: np.ndarray, style_rgb: np.ndarray,
                   config: StyleConfig) -> Iterator[Progress]:
    """The progress events of a (short) :func:`nst.optimize.stylize` run (only the last carries the image)."""
    return stylize(content_rgb, style_rgb, config, features=features, image_every=0)

