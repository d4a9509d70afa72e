"""The objective: the loss terms of one image, compiled once per structure and shared between runs.

:func:`loss_terms` is the whole method on one screen (like keras-io's ``compute_loss``): the
activations of g, the content loss, the style statistics and loss, total variation, the total.
:class:`LossModel` holds one run's targets and weights as tensors and calls the compiled
functions of :func:`compiled_loss`, whose traces are shared by every run of the same structure.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np
import tensorflow as tf

from . import losses
from .config import StyleConfig
from .vgg import VGGFeatures


def loss_terms(features: VGGFeatures, x: tf.Tensor, content_layers: Sequence[str], style_layers: Sequence[str],
               content_targets, style_targets, weights, layer_weights, content_weights,
               style_loss: str = "gram", use_tv: bool = True, tv_norm: str = "l2") -> dict[str, tf.Tensor]:
    """Every term of the loss of the preprocessed image ``x``.

    ``weights`` = (alpha, beta, tv_weight); ``layer_weights`` = the w_l in ``style_layers`` order;
    ``content_weights`` = one per content layer (1, or 1 / its target's size when normalised).
    Returns 'total', 'content', 'style', 'tv' and 'content/<layer>', 'style/<layer>' (unweighted).
    """
    acts = features(x, list(dict.fromkeys(list(content_layers) + list(style_layers))))
    c_total, c_layers = losses.content_loss({k: acts[k] for k in content_layers},
                                            dict(zip(content_layers, content_targets)),
                                            {k: content_weights[i] for i, k in enumerate(content_layers)})
    stats = {k: losses.style_statistics(acts[k], style_loss) for k in style_layers}
    s_total, s_layers = losses.style_loss(stats, dict(zip(style_layers, style_targets)),
                                          {k: layer_weights[i] for i, k in enumerate(style_layers)}, style_loss)
    tv_term = losses.total_variation_loss(x, tv_norm)
    if not use_tv:  # tv_weight is 0 for this structure: report L_tv, skip its gradient
        tv_term = tf.stop_gradient(tv_term)
    total = losses.total_loss(c_total, s_total, tv_term, weights[0], weights[1], weights[2])
    out = {"total": total, "content": c_total, "style": s_total, "tv": tv_term}
    out.update({f"content/{k}": v for k, v in c_layers.items()})
    out.update({f"style/{k}": v for k, v in s_layers.items()})
    return out


class CompiledLoss:
    """The compiled loss, value-and-gradient and Adam step for one loss *structure*.

    A structure is a feature extractor (its weights and pooling), the content and style
    layers, XLA on or off, and the image shape. Everything else that changes from run to run
    -- the content targets, the style Gram targets, alpha, beta, tv_weight, the w_l and the
    learning rate -- enters as tensor arguments, so every run with the same structure reuses
    one trace (building new ``tf.function`` objects per run retraced every time and kept
    ~5-15 MB per run alive in TensorFlow's runtime).
    """

    def __init__(self, features: VGGFeatures, content_layers: tuple, style_layers: tuple, xla: bool,
                 use_tv: bool = True, style_loss: str = "gram", tv_norm: str = "l2"):
        self.content_layers = content_layers
        self.style_layers = style_layers
        low, high = -features.mean, 255.0 - features.mean
        self.traces = 0

        def terms(x, content_targets, style_targets, weights, layer_weights, content_weights):
            self.traces += 1  # Python side effect: runs once per trace only
            return loss_terms(features, x, content_layers, style_layers, content_targets, style_targets,
                              weights, layer_weights, content_weights, style_loss, use_tv, tv_norm)

        def value_and_grad(x, *targets):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = terms(x, *targets)
            return out, tape.gradient(out["total"], x)

        b1, b2, eps = 0.9, 0.999, 1e-8

        def adam_step(x, m, v, t, lr, *targets):
            """One Adam step on g, clipped to valid pixels; returns the loss terms before the step."""
            out, grad = value_and_grad(tf.convert_to_tensor(x), *targets)
            m.assign(b1 * m + (1 - b1) * grad)
            v.assign(b2 * v + (1 - b2) * tf.square(grad))
            m_hat = m / (1 - tf.pow(b1, t))
            v_hat = v / (1 - tf.pow(b2, t))
            x.assign(tf.clip_by_value(x - lr * m_hat / (tf.sqrt(v_hat) + eps), low, high))
            return out

        # autograph off: the loss has no tensor-dependent Python control flow to convert
        compile_ = functools.partial(tf.function, jit_compile=bool(xla), reduce_retracing=False, autograph=False)
        self.terms = compile_(terms)
        self.value_and_grad = compile_(value_and_grad)
        self.adam_step = compile_(adam_step)


COMPILED: "OrderedDict[tuple, CompiledLoss]" = OrderedDict()
COMPILED_MAX = 6
COMPILED_LOCK = threading.Lock()


def compiled_loss(features: VGGFeatures, content_layers: Sequence[str], style_layers: Sequence[str],
                  xla: bool, shape: Sequence[int], use_tv: bool = True, style_loss: str = "gram",
                  tv_norm: str = "l2") -> CompiledLoss:
    """The shared compiled functions for a structure (see :class:`CompiledLoss`); an LRU of a few.

    The image shape is part of the key, so each entry holds one trace with static shapes
    (what XLA and the CPU kernels like best) and the number of traces stays bounded however
    many sizes a long-lived app sees. The entry keeps ``features`` (and so its weights)
    alive, so ``id(features.weights)`` in the key cannot be reused while it is cached.
    """
    key = (id(features.weights), features.pooling, features.padding, tuple(content_layers), tuple(style_layers),
           bool(xla), tuple(int(d) for d in shape), bool(use_tv), style_loss, tv_norm)
    with COMPILED_LOCK:
        entry = COMPILED.get(key)
        if entry is None:
            entry = CompiledLoss(features, tuple(content_layers), tuple(style_layers), bool(xla), bool(use_tv),
                                 style_loss, tv_norm)
            COMPILED[key] = entry
            while len(COMPILED) > COMPILED_MAX:
                COMPILED.popitem(last=False)
        else:
            COMPILED.move_to_end(key)
        return entry


class LossModel:
    """The loss for one content image, one set of style targets and one image size.

    The compiled functions are shared (see :func:`compiled_loss`); this object holds the
    targets and the weights as tensors and passes them in.
    """

    def __init__(self, features: VGGFeatures, config: StyleConfig, content: np.ndarray,
                 styles: Sequence[np.ndarray], blend: Sequence[float]):
        self.features = features
        self.config = config
        self.content_layers = list(config.content_layers)
        self.style_layers = [n for n in config.style_layers]
        self.w_l = config.w_l()
        self.shape = content.shape[:2]
        self.bounds = (-features.mean, 255.0 - features.mean)
        content_x = features.preprocess(content)
        self.content_targets = {k: tf.constant(v) for k, v in
                                features(content_x, self.content_layers).items()}
        self.style_targets = {}
        if self.style_layers:
            total = float(sum(blend))
            for style, share in zip(styles, blend):
                acts = features(features.preprocess(style), self.style_layers)
                for name in self.style_layers:
                    stats = losses.style_statistics(acts[name], config.style_loss) * (share / total)
                    self.style_targets[name] = self.style_targets.get(name, 0.0) + stats
        self.style_targets = {k: tf.constant(v) for k, v in self.style_targets.items()}
        # Normalised: each term relative to the size of its target, so no layer dominates by size alone.
        content_weights = {k: 1.0 for k in self.content_layers}
        style_weights = dict(self.w_l)
        if config.normalize:
            for k in self.content_layers:
                content_weights[k] = 1.0 / max(float(tf.reduce_mean(tf.square(self.content_targets[k]))), 1e-12)
            for k in self.style_layers:
                scale = losses.statistics_scale(self.style_targets[k], config.style_loss)
                style_weights[k] = style_weights[k] / max(scale, 1e-12)
        self.needed = list(dict.fromkeys(self.content_layers + self.style_layers))
        self._fns = compiled_loss(features, self.content_layers, self.style_layers, bool(config.xla),
                                  content_x.shape, use_tv=float(config.tv_weight) != 0.0,
                                  style_loss=config.style_loss, tv_norm=config.tv_norm)
        self._args = (
            tuple(self.content_targets[k] for k in self.content_layers),
            tuple(self.style_targets[k] for k in self.style_layers),
            tf.constant([float(config.alpha), float(config.beta), float(config.tv_weight)], tf.float32),
            tf.constant([style_weights[k] for k in self.style_layers], tf.float32,
                        shape=(len(self.style_layers),)),
            tf.constant([content_weights[k] for k in self.content_layers], tf.float32,
                        shape=(len(self.content_layers),)),
        )
        self._lr = tf.constant(float(config.learning_rate), tf.float32)

    def terms(self, x) -> dict:
        return self._fns.terms(tf.convert_to_tensor(x, tf.float32), *self._args)

    def value_and_grad(self, x):
        return self._fns.value_and_grad(tf.convert_to_tensor(x, tf.float32), *self._args)

    def adam_step(self, x: tf.Variable, m: tf.Variable, v: tf.Variable, t) -> dict:
        return self._fns.adam_step(x, m, v, tf.convert_to_tensor(t, tf.float32), self._lr, *self._args)


