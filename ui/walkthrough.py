"""The walkthrough (pages 1-6): its shared Streamlit pieces, cached computations, queued optimisations, pickers.

Every number comes from :mod:`nst.lessons` (which calls :mod:`nst.losses` and
:func:`nst.optimize.stylize`); this module only caches it per session-independent
inputs (arrays are hashed by content) and draws shared widgets. Every optimisation
(reconstructions, the pooling demo, the stylised preview) waits its turn in the
studio's queue (:mod:`ui.studio.slot`): one optimisation runs at a time per server.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Sequence

import numpy as np
import streamlit as st

from nst import images as imgs
from nst import lessons
from nst.config import DEFAULT_PRESET
from nst.weights import LAYERS
from ui import link
from ui.common import POOLING, WEIGHTS, features

LAYER_NOTES = {
    "block1_conv1": "edges and colours",
    "block2_conv1": "small textures",
    "block3_conv1": "textures, parts",
    "block3_conv3": "the article's content layer",
    "block4_conv1": "object parts",
    "block4_conv2": "Gatys' content layer",
    "block5_conv1": "whole objects, coarse",
}


def preset_style_text(config) -> str:
    """A preset's style layers in a few words: 'block1_conv1 .. block3_conv3' or 'conv1 of blocks 1..5'."""
    layers = list(config.style_layers)
    if not layers:
        return "none"
    if len(layers) > 2 and all(l.endswith("_conv1") for l in layers):
        return f"conv1 of blocks {lessons.block_of(layers[0])}..{lessons.block_of(layers[-1])}"
    idx = [LAYERS.index(l) for l in layers if l in LAYERS]
    if len(idx) == len(layers) and idx == list(range(idx[0], idx[0] + len(idx))) and len(idx) > 2:
        return f"{layers[0]} .. {layers[-1]}"
    return ", ".join(layers)


def preset_note(name: str) -> str:
    """One sentence on a preset, read from nst.config.PRESETS."""
    from nst.config import PRESETS

    config = PRESETS[name]
    who = {"article": "the article's choice", "gatys": "Gatys et al. 2015"}.get(name, "")
    if name == DEFAULT_PRESET and not who:
        who = "the studio's default"
    return (f"**{name}**{f' ({who})' if who else ''}: content at {', '.join(config.content_layers)}, style at "
            f"{preset_style_text(config)} ({len(config.style_layers)} layers).")


def default_preset_note() -> str:
    """Why the studio's default preset is not the article's (empty when it is the article's)."""
    from nst.config import PRESETS

    name = DEFAULT_PRESET
    if name == "article" or name not in PRESETS or "article" not in PRESETS:
        return ""
    deepest = max((LAYERS.index(l) for l in PRESETS[name].style_layers if l in LAYERS), default=-1)
    article_deepest = max((LAYERS.index(l) for l in PRESETS["article"].style_layers), default=-1)
    if deepest <= article_deepest:
        return f"The studio starts from **{name}** rather than the article's layers."
    content = PRESETS[name].content_layers
    depths = (f" Its content is held at {len(content)} depths ({', '.join(content)}): the deep one keeps the "
              "photo's shapes, the shallower ones its thin edges, so a strong style can paint over the photo's "
              "surface without wiping its lines.") if len(content) > 1 else ""
    return (f"The walkthrough follows the article's layers; the studio starts from **{name}**, whose style layers "
            f"reach {LAYERS[deepest]} (the article stops at {LAYERS[article_deepest]}): deeper layers carry "
            "larger structures of a painting, strokes and shapes rather than only colour and grain." + depths)


def preset_picker() -> tuple[str, object]:
    """The layer preset of a page (its name lives in the URL, ``?preset=gatys``) and one sentence on it;
    returns (name, StyleConfig)."""
    from nst.config import PRESETS

    name = link.setting_choice(st.segmented_control, "preset", list(PRESETS), default="article", label="Layers",
                               required=True, help="Which VGG-16 layers feed the two losses (a preset).") or "article"
    note = default_preset_note()
    st.caption(preset_note(name) + (f" {note}" if note else ""))
    return name, PRESETS[name]


def layer_select(label: str, key: str, default: str, options: Sequence[str] = tuple(LAYERS),
                 container=None, help: str | None = None) -> str:
    """A layer picker whose value lives in the URL (``?<key>=block3_conv1``), so a lesson is a link."""
    box = container or st
    options = list(options)
    return link.choice(box.selectbox, label, options, key=key,
                       default=default if default in options else options[0], help=help)


def pictures_panel(specs: Sequence[tuple[str, str, str]], size_label: str, size_key: str, default_size: int,
                   size_help: str, sizes: Sequence[int] = (96, 128, 160, 224)) -> tuple[list, int]:
    """The pictures a page uses, chosen in the page itself, in one bordered box; and its working size.

    ``specs``: (label, kind, picker key) per picture. The pictures are the walkthrough's one set
    (ui.pictures): an upload here is the picture of every page. The size slider lives in the URL.
    Columns stack on a phone. Returns ([(image, name), ...], size).
    """
    from ui.pictures import picker

    out = []
    with st.container(border=True, key="pictures_panel"):
        # picker, thumbnail (capped in size by CSS: ui.common.RESPONSIVE_CSS), ... then the size slider
        cols = st.columns([3, 1.3] * len(specs) + [2.4], gap="small")
        for k, (label, kind, key) in enumerate(specs):
            image, name = picker(label, kind, key, container=cols[2 * k])
            cols[2 * k + 1].image(image, caption=name, width="stretch")
            out.append((image, name))
        with cols[-1]:
            size = link.choice(st.select_slider, size_label, list(sizes), key=size_key, default=default_size,
                               help=size_help)
            st.caption("Your pictures are used on every page until you change them.")
    return out, int(size)


def page_picture(label: str, kind: str, key: str, size_label: str, size_key: str, default_size: int,
                 size_help: str) -> tuple[np.ndarray, str, np.ndarray]:
    """One picture and the working size, chosen in the page; returns (image, name, working copy)."""
    [(image, name)], size = pictures_panel([(label, kind, key)], size_label, size_key, default_size, size_help)
    return image, name, working_copy(image, size)


def reconstruction_settings(prefix: str) -> tuple[int, int]:
    """(size px, L-BFGS iterations) for a page's reconstructions, in an expander."""
    with st.expander("Reconstruction settings"):
        s1, s2 = st.columns(2)
        size = s1.select_slider("Size (px)", [64, 96, 128], value=96, key=f"{prefix}_recon_size",
                                 persist_state="session")
        iterations = s2.select_slider("L-BFGS iterations", [5, 20, 40, 80], value=40, key=f"{prefix}_recon_iters",
                                 persist_state="session")
    return size, iterations


def layer_maps_or_stop(picture: np.ndarray, layer: str) -> np.ndarray:
    """A^l of ``picture`` at ``layer`` (H_l, W_l, C_l), or one error line in the page and the end of this run."""
    try:
        return activations(picture, (layer,))[layer]
    except (imgs.ImageError, ValueError) as exc:
        st.error(str(exc))
        st.stop()


def working_copy(rgb: np.ndarray, size: int) -> np.ndarray:
    """The picture at ``size`` px on its longest side (small: the machine may have 2 CPU cores)."""
    return imgs.resize_to(rgb, int(size))


@st.cache_data(show_spinner=False, max_entries=48)
def activations(rgb: np.ndarray, layers: tuple[str, ...], weights: str = WEIGHTS, pooling: str = POOLING) -> dict:
    """{layer: A^l (H_l, W_l, C_l)} for one picture, cached by its pixels."""
    return lessons.activations(features(weights, pooling), rgb, layers)


@st.cache_resource(show_spinner=False)
def _finished_runs() -> dict:
    """Finished optimisations of pages 1-6, shared by every session: {key: result}, oldest dropped first."""
    return {}


FINISHED_RUNS_KEPT = 96


def pixels_key(*arrays: np.ndarray) -> str:
    """A short digest of pictures' pixels and shapes (part of a finished run's key)."""
    import hashlib

    digest = hashlib.md5()
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@contextmanager
def optimisation_turn(label: str):
    """Hold the server's one optimisation slot while inside, waiting first in the studio's queue (showing the
    place in line); yields a ``heartbeat()`` to call now and then, so a long run keeps its slot."""
    from ui.studio.slot import optimisation_slot, run_queue

    with optimisation_slot(label) as ticket:
        yield lambda: run_queue().heartbeat(ticket)


def _keep(store: dict, key: tuple, value) -> None:
    while len(store) >= FINISHED_RUNS_KEPT:
        store.pop(next(iter(store)), None)
    store[key] = value


def optimised(key: tuple, label: str, compute):
    """``compute(heartbeat)``'s result for ``key``: kept from an earlier run of any session, or computed now
    in this process's one optimisation slot, after the runs ahead of it in the queue (the studio's too)."""
    store = _finished_runs()
    value = store.get(key)
    if value is None:
        with optimisation_turn(label) as heartbeat:
            value = store.get(key)  # another session may have made it while this one waited
            if value is None:
                value = compute(heartbeat)
                _keep(store, key, value)
    return value


RECON_SCALES, RECON_MIN_SIZE = 4, 32  # 32 -> ... -> 192 px: the engine's multi-scale L-BFGS
RECON_TV = 1e-3  # the light smoothness prior of the "smooth" option


def reconstruction_sizes(size: int, iterations: int) -> list[int]:
    """The sizes (px, longest side) a content reconstruction runs at, coarse to fine."""
    from nst.optimize import scale_plan

    config = lessons.content_reconstruction_config("block1_conv1", size, iterations, scales=RECON_SCALES,
                                                   min_size=RECON_MIN_SIZE)
    return [int(step.size) for step in scale_plan(config)]


def content_reconstructions(rgb: np.ndarray, layers: Sequence[str], size: int, iterations: int,
                            smooth: bool = True, weights: str = WEIGHTS) -> list[tuple[np.ndarray, float]]:
    """(image, final content loss) per layer, each from noise at ``size`` px (multi-scale L-BFGS), with a
    progress bar counting the iterations of the runs not made before (made ones are kept for everyone).
    The runs not made before take their turn in the server's queue, one at a time."""
    store = _finished_runs()
    digest = pixels_key(rgb)
    keys = {l: ("content", digest, l, int(size), int(iterations), bool(smooth), weights) for l in layers}
    made = {l: store.get(keys[l]) for l in layers}
    todo = [l for l in layers if made[l] is None]
    if todo:
        bar = st.progress(0.0, text="Starting...")
        total = len(todo) * int(iterations)
        for n, layer in enumerate(todo):

            def compute(heartbeat, n=n, layer=layer):
                last = None
                for last in lessons.reconstruct_content(features(weights), rgb, layer, size, iterations,
                                                        scales=RECON_SCALES, min_size=RECON_MIN_SIZE,
                                                        tv_weight=RECON_TV if smooth else 0.0):
                    heartbeat()
                    done = n * int(iterations) + last.iteration
                    side = max(last.shape) if last.shape and max(last.shape) else size
                    bar.progress(min(1.0, done / total),
                                 text=f"Reconstructing from {layer} ({n + 1} of {len(todo)}): iteration "
                                      f"{last.iteration} of {last.total_iterations}, at {side} px")
                if last is None or last.image is None:
                    raise ValueError("the reconstruction produced no image")
                return last.image, float(last.losses.get("content", float("nan")))

            made[layer] = optimised(keys[layer], f"a content reconstruction ({layer})", compute)
        bar.empty()
    return [made[l] for l in layers]


def style_reconstruction(rgb: np.ndarray, layers: tuple[str, ...], size: int, iterations: int, seed: int = 0,
                         weights: str = WEIGHTS) -> tuple[np.ndarray, float]:
    """(image, final style loss) of a texture made from the Gram matrices G^l(s) of ``layers`` alone
    (made in the server's queue; kept for everyone)."""
    key = ("style", pixels_key(rgb), tuple(layers), int(size), int(iterations), int(seed), weights)

    def compute(heartbeat):
        last = lessons.final(lessons.reconstruct_style(features(weights), rgb, layers, size, iterations, seed),
                             each=heartbeat)
        return last.image, float(last.losses.get("style", float("nan")))

    return optimised(key, "a style reconstruction", compute)


def style_reconstructions(rgb: np.ndarray, items: Sequence, size: int, iterations: int,
                          captions: Sequence[str]) -> list[tuple[np.ndarray, float]]:
    """Compute each style reconstruction (kept) with a progress bar; ``items`` are layer sets."""
    results = []
    bar = st.progress(0.0, text=f"Reconstructing 1 of {len(items)}...")
    for k, item in enumerate(items):
        bar.progress(k / len(items), text=f"Reconstructing {k + 1} of {len(items)}: {captions[k]}")
        results.append(style_reconstruction(rgb, tuple(item), size, iterations))
    bar.empty()
    return results


def show_heatmaps(arrays: Sequence[np.ndarray], titles: Sequence[str], key: str, **kwargs) -> None:
    """Heatmaps side by side, one figure per column (each with its own title and colour bar): on a phone the
    columns stack, so nothing overlaps. ``kwargs`` go to :func:`nst.viz.heatmap_panels`."""
    from nst import viz

    figs = viz.heatmap_panels(arrays, titles, **kwargs)
    for k, (col, fig) in enumerate(zip(st.columns(len(figs), gap="small"), figs)):
        col.plotly_chart(fig, width="stretch", key=f"{key}_{k}", config={"displayModeBar": False})


def show_images(images: Sequence[np.ndarray], captions: Sequence[str], width: int | str = "stretch") -> None:
    """Pictures side by side, one column each."""
    cols = st.columns(len(images))
    for col, image, caption in zip(cols, images, captions):
        col.image(image, caption=caption, width=width)


@st.cache_data(show_spinner=False, max_entries=32)
def content_comparison(content_rgb: np.ndarray, generated_rgb: np.ndarray, layers: tuple[str, ...],
                       weights: str = WEIGHTS) -> dict:
    """A^l(c), A^l(g), L_content^l and the relative loss at ``layers`` (see nst.lessons.content_comparison)."""
    return lessons.content_comparison(features(weights), content_rgb, generated_rgb, layers)


def remembered(name: str, params: tuple) -> bool:
    """True once a button has computed ``name`` for exactly these ``params`` (results are cached)."""
    return st.session_state.get(f"_done_{name}") == params


def remember(name: str, params: tuple) -> None:
    st.session_state[f"_done_{name}"] = params


def style_reconstructions_on_button(rgb: np.ndarray, items: Sequence, captions: Sequence[str], size: int,
                                    iterations: int, params: tuple, button_label: str, key: str):
    """A button that runs a page's style reconstructions (``key``_go); from then on, for the same ``params``,
    their (cached) results. None before the button is pressed, or after an error (shown in one sentence)."""
    if st.button(button_label, type="primary", key=f"{key}_go"):
        remember(key, params)
    if not remembered(key, params):
        st.caption(f"{len(items)} short optimisations ({size} px, {iterations} iterations each); results are "
                   "kept, so pressing again is instant.")
        return None
    try:
        return style_reconstructions(rgb, items, size, iterations, captions)
    except (imgs.ImageError, ValueError) as exc:
        st.error(str(exc))
        return None


@st.cache_data(show_spinner=False, max_entries=16)
def flip_demo(rgb: np.ndarray, layer: str, other_rgb: np.ndarray | None = None, weights: str = WEIGHTS) -> dict:
    """The dog example on a real picture (see nst.lessons.flip_demo)."""
    return lessons.flip_demo(features(weights), rgb, layer, other_rgb)


@st.cache_data(show_spinner=False, max_entries=16)
def loss_inputs(generated_rgb: np.ndarray, content_rgb: np.ndarray, style_rgb: np.ndarray,
                content_layers: tuple[str, ...], style_layers: tuple[str, ...], weights: str = WEIGHTS):
    """A^l(g), A^l(c), G^l(g), G^l(s) and g, once per image set (see nst.lessons.loss_inputs)."""
    return lessons.loss_inputs(features(weights), generated_rgb, content_rgb, style_rgb, content_layers, style_layers)


def quick_stylisation(content_rgb: np.ndarray, style_rgb: np.ndarray, config, label: str,
                      weights: str = WEIGHTS) -> np.ndarray:
    """The final image of a short stylisation with ``config``, made in the server's queue (kept for everyone)."""
    key = ("stylise", pixels_key(content_rgb, style_rgb), repr(config), weights)

    def compute(heartbeat):
        events = lessons.stylize_events(features(weights, config.pooling), content_rgb, style_rgb, config)
        return lessons.final(events, each=heartbeat).image

    return optimised(key, label, compute)


def pooling_stylisation(content_rgb: np.ndarray, style_rgb: np.ndarray, pooling: str, iterations: int = 30,
                        weights: str = WEIGHTS) -> np.ndarray:
    """The same short stylisation (article preset, L-BFGS, one scale) with 'avg' or 'max' pooling in VGG-16."""
    from nst.config import preset

    config = preset("article", size=max(content_rgb.shape[:2]), iterations=int(iterations), init="content",
                    pooling=pooling, scales=1)
    return quick_stylisation(content_rgb, style_rgb, config, f"the {pooling} pooling demo", weights)


def stylised_preview(content_rgb: np.ndarray, style_rgb: np.ndarray, preset_name: str, iterations: int = 30,
                     weights: str = WEIGHTS) -> np.ndarray:
    """A quick stylised g from the preset's own alpha, beta and w_l (not the sliders: those only re-weigh)."""
    from nst.config import preset

    config = preset(preset_name, size=max(content_rgb.shape[:2]), iterations=int(iterations), init="content",
                    scales=1, min_size=0)
    with st.spinner("Stylising a preview (a short L-BFGS run)..."):
        return quick_stylisation(content_rgb, style_rgb, config, "a stylised preview", weights)
