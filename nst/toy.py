"""The article's worked example: "dog" and "upside-down dog".

A layer has three feature maps. In the first picture, map 1 fires in the shape
of a dog and maps 2 and 3 are completely inactive (all zeros). In the second
picture the dog is upside down, so map 1 fires in the shape of the flipped dog.

The content loss compares the maps position by position, so it sees the
difference. The Gram matrix sums over all positions, which throws away *where*
a feature fired, so both pictures have exactly the same Gram matrix and a style
loss of zero. Every number here comes from the library's own loss functions in
:mod:`nst.losses`; nothing is recomputed by hand.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from nst.losses import content_loss_layer, gram_matrix, style_loss_layer

# A dog seen from the side, facing left: ears, head, snout, back, raised tail, four legs.
_DOG_16 = [
    "................",
    "..#.............",
    ".###............",
    "####...........#",
    "#####.........#.",
    "#####.........#.",
    "..############..",
    "..############..",
    "..############..",
    "...##########...",
    "...##.##..##.##.",
    "...##.##..##.##.",
    "...##.##..##.##.",
    "...##.##..##.##.",
    "................",
    "................",
]


def dog_feature_map(size: int = 16) -> np.ndarray:
    """A (size, size) float32 feature map of 0s and 1s that fires in the shape of a dog."""
    base = np.array([[1.0 if ch == "#" else 0.0 for ch in row] for row in _DOG_16], np.float32)
    if size == base.shape[0]:
        return base
    if size < 4:
        raise ValueError("size must be at least 4")
    img = Image.fromarray((base * 255).astype(np.uint8)).resize((size, size), Image.NEAREST)
    return (np.asarray(img) > 127).astype(np.float32)


def dog_feature_maps(upside_down: bool = False, size: int = 16) -> np.ndarray:
    """Three feature maps of one layer, shape (H, W, 3): the dog (flipped if asked) and two all-zero maps."""
    dog = dog_feature_map(size)
    if upside_down:
        dog = np.flipud(dog)
    maps = np.zeros(dog.shape + (3,), np.float32)
    maps[..., 0] = dog
    return maps


def dog_example(size: int = 16) -> dict:
    """Everything the UI shows for the dog / upside-down dog example.

    Keys: maps_a, maps_b (H, W, 3 arrays), gram_a, gram_b (3x3 Gram matrices
    divided by M = H * W), gram_raw_a, gram_raw_b (the raw sums, whole numbers:
    G_11 is the number of dog pixels), content_loss and style_loss (floats).
    """
    maps_a = dog_feature_maps(upside_down=False, size=size)
    maps_b = dog_feature_maps(upside_down=True, size=size)
    gram_a = gram_matrix(maps_a)
    gram_b = gram_matrix(maps_b)
    return {
        "maps_a": maps_a,
        "maps_b": maps_b,
        "gram_a": np.asarray(gram_a),
        "gram_b": np.asarray(gram_b),
        "gram_raw_a": np.asarray(gram_matrix(maps_a, normalize=False)),
        "gram_raw_b": np.asarray(gram_matrix(maps_b, normalize=False)),
        "content_loss": float(content_loss_layer(maps_b, maps_a)),
        "style_loss": float(style_loss_layer(gram_b, gram_a)),
    }
