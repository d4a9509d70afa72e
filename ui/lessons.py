"""Streamlit pieces shared by the teaching pages (1-6): cached computations and layer pickers.

Every number comes from :mod:`nst.lessons` (which calls :mod:`nst.losses` and
:func:`nst.optimize.stylize`); this module only caches it per session-independent
inputs (arrays are hashed by content) and draws shared widgets.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import streamlit as st

from nst import images as imgs
from nst import lessons
from nst.weights import LAYERS
from ui.common import features

ARTICLE_CONTENT_LAYER = "block3_conv3"
LAYER_NOTES = {
    "block1_conv1": "edges and colours",
    "block2_conv1": "small textures",
    "block3_conv1": "textures, parts",
    "block3_conv3": "the article's content layer",
    "block4_conv1": "object parts",
    "block4_conv2": "Gatys' content layer",
    "block5_conv1": "whole objects, coarse",
}


def layer_label(name: str) -> str:
    note = LAYER_NOTES.get(name)
    return f"{name} ({note})" if note else name


def layer_select(label: str, key: str, default: str, options: Sequence[str] = tuple(LAYERS),
                 container=None, help: str | None = None) -> str:
    """A layer picker whose value lives in the URL (``?<key>=block3_conv1``), so a lesson is a link."""
    box = container or st
    options = list(options)
    index = options.index(default) if default in options else 0
    return box.selectbox(label, options, index=index, key=key, format_func=layer_label,
                         bind="query-params", help=help)


def working_copy(rgb: np.ndarray, size: int) -> np.ndarray:
    """The picture at ``size`` px on its longest side (small: the machine may have 2 CPU cores)."""
    return imgs.resize_to(rgb, int(size))


@st.cache_data(show_spinner=False, max_entries=48)
def activations(rgb: np.ndarray, layers: tuple[str, ...], weights: str = "hed", pooling: str = "avg") -> dict:
    """{layer: A^l (H_l, W_l, C_l)} for one picture, cached by its pixels."""
    return lessons.activations(features(weights, pooling), rgb, layers)


@st.cache_data(show_spinner=False, max_entries=64)
def content_reconstruction(rgb: np.ndarray, layer: str, size: int, iterations: int, seed: int = 0,
                           weights: str = "hed") -> tuple[np.ndarray, float]:
    """(image, final content loss) of a reconstruction from A^l(c) alone (alpha = 1, beta = 0)."""
    last = lessons.final(lessons.reconstruct_content(features(weights), rgb, layer, size, iterations, seed))
    return last.image, float(last.losses.get("content", float("nan")))


@st.cache_data(show_spinner=False, max_entries=64)
def style_reconstruction(rgb: np.ndarray, layers: tuple[str, ...], size: int, iterations: int, seed: int = 0,
                         weights: str = "hed") -> tuple[np.ndarray, float]:
    """(image, final style loss) of a texture made from the Gram matrices G^l(s) of ``layers`` alone."""
    last = lessons.final(lessons.reconstruct_style(features(weights), rgb, layers, size, iterations, seed))
    return last.image, float(last.losses.get("style", float("nan")))


def run_reconstructions(kind: str, rgb: np.ndarray, items: Sequence, size: int, iterations: int,
                        captions: Sequence[str]) -> list[tuple[np.ndarray, float]]:
    """Compute each reconstruction (cached) with a progress bar; ``items`` are layers or layer sets."""
    results = []
    bar = st.progress(0.0, text=f"Reconstructing 1 of {len(items)}...")
    for k, item in enumerate(items):
        bar.progress(k / len(items), text=f"Reconstructing {k + 1} of {len(items)}: {captions[k]}")
        if kind == "content":
            results.append(content_reconstruction(rgb, item, size, iterations))
        else:
            results.append(style_reconstruction(rgb, tuple(item), size, iterations))
    bar.empty()
    return results


def show_images(images: Sequence[np.ndarray], captions: Sequence[str], width: int | str = "stretch") -> None:
    """Pictures side by side, one column each."""
    cols = st.columns(len(images))
    for col, image, caption in zip(cols, images, captions):
        col.image(image, caption=caption, width=width)
