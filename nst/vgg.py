"""VGG-16 as a feature extractor: activations of any conv layers, keyed by name.

The network is written out in plain TensorFlow ops (conv, bias, ReLU, pool) over
frozen constants, so it computes only up to the deepest layer asked for and has
no Keras model state. Images enter as float32 (1, H, W, 3) in RGB order minus
the weights' mean (see :meth:`VGGFeatures.preprocess`).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import tensorflow as tf

from .config import PADDING, POOLING
from .weights import LAYERS, VGGWeights



_PAD = [[0, 0], [1, 1], [1, 1], [0, 0]]


class VGGFeatures:
    """Callable: ``features(image, layers) -> {layer: (1, H_l, W_l, C_l) activations}``."""

    def __init__(self, weights: VGGWeights, pooling: str = "avg", padding: str = "zero"):
        if pooling not in POOLING:
            raise ValueError(f"pooling must be 'avg' or 'max', not {pooling!r}")
        if padding not in PADDING:
            raise ValueError(f"padding must be 'zero' or 'reflect', not {padding!r}")
        self.weights = weights
        self.pooling = pooling
        self.padding = padding
        self.mean = tf.constant(np.asarray(weights.mean_rgb, np.float32).reshape(1, 1, 1, 3))
        self._params = {name: (tf.constant(w), tf.constant(b)) for name, (w, b) in weights.kernels.items()}
        self.layers = weights.layers

    def with_pooling(self, pooling: str) -> "VGGFeatures":
        """The same weights with the other pooling (shares the constants)."""
        return self.variant(pooling=pooling)

    def variant(self, pooling: str | None = None, padding: str | None = None) -> "VGGFeatures":
        """The same weights with another pooling and/or padding (shares the constants)."""
        pooling = pooling or self.pooling
        padding = padding or self.padding
        if pooling not in POOLING:
            raise ValueError(f"pooling must be 'avg' or 'max', not {pooling!r}")
        if padding not in PADDING:
            raise ValueError(f"padding must be 'zero' or 'reflect', not {padding!r}")
        if (pooling, padding) == (self.pooling, self.padding):
            return self
        other = object.__new__(VGGFeatures)
        other.__dict__.update(self.__dict__)
        other.pooling, other.padding = pooling, padding
        return other

    # --- images in and out -------------------------------------------------
    def preprocess(self, rgb: np.ndarray | tf.Tensor) -> tf.Tensor:
        """(H, W, 3) or (1, H, W, 3) RGB in 0..255 -> (1, H, W, 3) float32 minus the mean."""
        x = tf.convert_to_tensor(rgb, tf.float32)
        if x.shape.rank == 3:
            x = x[tf.newaxis]
        return x - self.mean

    def deprocess(self, x: tf.Tensor | np.ndarray) -> np.ndarray:
        """Inverse of :meth:`preprocess`: (H, W, 3) uint8 RGB."""
        x = np.asarray(x, np.float32)
        if x.ndim == 4:
            x = x[0]
        return np.clip(x + np.asarray(self.weights.mean_rgb, np.float32), 0, 255).round().astype(np.uint8)

    # --- the network -------------------------------------------------------
    def check_layers(self, layers: Iterable[str]) -> list[str]:
        layers = list(layers)
        unknown = [n for n in layers if n not in self._params]
        if unknown:
            raise ValueError(f"unknown VGG-16 layer(s) {', '.join(unknown)}; choose from {', '.join(self.layers)}")
        return layers

    def __call__(self, x: tf.Tensor, layers: Iterable[str]) -> dict[str, tf.Tensor]:
        """Activations (after ReLU) of ``layers`` for the preprocessed image batch ``x``.

        Stops after the deepest requested layer; pools (2x2, stride 2) between blocks.
        With ``padding="reflect"`` every 3x3 conv sees the image mirrored at its borders
        (the edge row repeated, so that it works down to 1x1 maps) instead of a frame of
        zeros (black, after the mean is taken off), which the style loss otherwise answers
        with a bright or dark band along the borders.
        """
        wanted = set(self.check_layers(layers))
        if not wanted:
            return {}
        deepest = max(LAYERS.index(n) for n in wanted)
        out = {}
        h = x
        block = "block1"
        for name in LAYERS[: deepest + 1]:
            if not name.startswith(block):
                block = name.split("_")[0]
                pool = tf.nn.avg_pool2d if self.pooling == "avg" else tf.nn.max_pool2d
                h = pool(h, ksize=2, strides=2, padding="SAME")
            w, b = self._params[name]
            if self.padding == "reflect":
                conv = tf.nn.conv2d(tf.pad(h, _PAD, "SYMMETRIC"), w, strides=1, padding="VALID")
            else:
                conv = tf.nn.conv2d(h, w, strides=1, padding="SAME")
            h = tf.nn.relu(tf.nn.bias_add(conv, b))
            if name in wanted:
                out[name] = h
        return out

    def layer_shape(self, layer: str, height: int, width: int) -> tuple[int, int, int]:
        """(H_l, W_l, C_l) of ``layer`` for an input of height x width."""
        block = int(layer[len("block")]) - 1
        h, w = height, width
        for _ in range(block):
            h, w = -(-h // 2), -(-w // 2)
        return h, w, self.weights.kernels[layer][0].shape[-1]


def conv_flops(features: VGGFeatures, layers: Iterable[str], height: int, width: int) -> float:
    """Multiply-adds x 2 of one forward pass through the conv layers up to the deepest of ``layers``."""
    deepest = max(LAYERS.index(n) for n in layers)
    total = 0.0
    for name in LAYERS[: deepest + 1]:
        h, w, c_out = features.layer_shape(name, height, width)
        c_in = features.weights.kernels[name][0].shape[2]
        total += 2.0 * h * w * 9 * c_in * c_out
    return total
