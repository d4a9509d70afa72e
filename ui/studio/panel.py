"""The studio's settings panel: pictures, the preset and every setting, kept in the link."""
from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from nst.config import INITS, MAX_SIZE, MIN_SIZE, PRESERVE_COLOR, PRESETS
from ui import common, pictures
from ui.studio.settings import (FIELDS, KEY, POOLINGS, WEIGHT_SOURCES, default_preset, max_scales, parse_query,
                                preset_values, to_query, weights_note)


def _init_widget_state() -> list[str]:
    """Give every setting's widget its value before it is drawn: the session's last, else the link's.

    Returns notes about link values that could not be used (shown once).
    """
    state = st.session_state
    saved = state.get("studio_saved")
    notes: list[str] = []
    if saved is None:
        params = st.query_params.to_dict()
        saved, notes = parse_query(params)
        _link_pictures(params, saved)
    for name in FIELDS:
        if name in ("content", "style", "style2"):
            key = KEY(f"{name}_pick")
        else:
            key = KEY(name)
        if key not in state and saved.get(name) is not None:
            state[key] = saved[name]
    return notes


def _bundled(slot: str, key: str) -> str | None:
    """The bundled picture of a picker's slot (what a link may carry), never an upload's name."""
    name = pictures.bundled_name(slot)
    pick = st.session_state.get(f"{key}_pick")
    return name or (pick if pick != pictures.UPLOAD_OPTION else None)


def _link_pictures(params: Mapping[str, str], saved: Mapping[str, Any]) -> None:
    """A link that names a picture sets it for the walkthrough too (the link is what the teacher shared)."""
    slots = st.session_state.setdefault("nst_pictures", {})
    for name, slot in (("content", "content"), ("style", "style"), ("style2", KEY("style2"))):
        if FIELDS[name][0] in params and saved.get(name):
            slots[slot] = {"choice": saved[name], "upload": (slots.get(slot) or {}).get("upload"),
                           "use_upload": False}


def preset_label(name: str) -> str:
    known = {"article": "article: 7 layers", "gatys": "Gatys 2015"}
    return known.get(name, name)


def preset_help(name: str) -> str:
    cfg = PRESETS[name]
    return (f"{name}: content on {', '.join(cfg.content_layers)}, style on {', '.join(cfg.style_layers)}, "
            f"β/α = {cfg.beta / cfg.alpha if cfg.alpha else float('inf'):g}.")


def _preset_changed() -> None:
    """A new preset brings all its own settings (the size and the pictures stay)."""
    state = st.session_state
    for name, value in preset_values(state[KEY("preset")]).items():
        if name != "size":
            state[KEY(name)] = value


def _write_query(settings: Mapping[str, Any]) -> None:
    target = to_query(settings)
    if st.query_params.to_dict() != target:
        st.query_params.from_dict(target)


# --- the settings panel ------------------------------------------------------

def settings_panel(disabled: bool) -> tuple[dict, dict]:
    """Draw every setting; returns (settings, inputs) where inputs holds the images and their names."""
    notes = _init_widget_state()
    for note in notes:
        st.warning(note)
    state = st.session_state
    settings: dict[str, Any] = {}
    inputs: dict[str, Any] = {}

    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Content image c**: what the picture shows")
        content, content_name = common.image_picker("Content", "content", KEY("content"), container=st.container(),
                                                    disabled=disabled)
        st.image(content, width="stretch")
    with c2:
        st.markdown("**Style image s**: how it should look")
        style, style_name = common.image_picker("Style", "style", KEY("style"), container=st.container(),
                                                disabled=disabled)
        st.image(style, width="stretch")
    with c3:
        st.markdown("**A second style** (optional)")
        second = st.checkbox("Blend a second style image", key=KEY("second"), disabled=disabled,
                             help="The style target becomes a weighted mix of both images' Gram matrices.")
        style2 = None
        style2_name = ""
        if second:
            style2, style2_name = common.image_picker("Second style", "style", KEY("style2"), disabled=disabled,
                                                      container=st.container())
            st.image(style2, width="stretch")
            st.slider("Share of the second style", 0.0, 1.0, step=0.05, key=KEY("blend"), disabled=disabled,
                      help="0: only the first style; 1: only the second.")
    # the link carries bundled pictures only: an upload's name never goes into a URL
    settings.update(content=_bundled("content", KEY("content")), style=_bundled("style", KEY("style")),
                    second=second, style2=_bundled(KEY("style2"), KEY("style2")) if second else None,
                    blend=float(state.get(KEY("blend"), 0.5)))

    st.markdown("#### Settings")
    a, b, c, d = st.columns(4)
    with a:
        st.radio("Preset", list(PRESETS), key=KEY("preset"), disabled=disabled, horizontal=True,
                 format_func=preset_label, on_change=_preset_changed,
                 help="A preset sets the layers, their weights and every setting below; change any of them "
                      "afterwards. " + " ".join(preset_help(name) for name in PRESETS))
        st.slider("Size (px, longest side)", MIN_SIZE, MAX_SIZE, step=16, key=KEY("size"), disabled=disabled,
                  help="Time grows with the number of pixels: 512 px takes about 4x as long as 256 px.")
    with b:
        st.radio("Optimizer", ["lbfgs", "adam"], key=KEY("optimizer"), disabled=disabled, horizontal=True,
                 format_func={"lbfgs": "L-BFGS", "adam": "Adam (the article's)"}.get,
                 help="L-BFGS converges in far fewer iterations; Adam is what the article uses.")
        st.number_input("Iterations", 1, 10_000, step=10, key=KEY("iterations"), disabled=disabled)
        if state.get(KEY("optimizer")) == "adam":
            st.number_input("Adam learning rate", min_value=0.0, step=0.5, format="%g",
                            key=KEY("learning_rate"), disabled=disabled)
    with c:
        st.number_input("α (content weight)", step=0.1, format="%g", key=KEY("alpha"), disabled=disabled,
                        help="L = α·L_content + β·L_style. Only the ratio β/α matters (with L-BFGS).")
        st.number_input("β (style weight)", step=1e-4, format="%g", key=KEY("beta"), disabled=disabled,
                        help="Raise β for more style, lower it to keep more of the content.")
    with d:
        st.select_slider("Show the image every", options=[1, 2, 5, 10, 20, 50], key=KEY("every"),
                         disabled=disabled, format_func=lambda n: f"{n} iteration{'s' if n > 1 else ''}")
        st.number_input("Random seed", 0, 2**31 - 1, step=1, key=KEY("seed"), disabled=disabled,
                        help="Fixes the noise of init = noise; the same settings then give the same picture.")

    with st.expander("More settings: weights, start image, colours, scales", expanded=False):
        e, f, g = st.columns(3)
        with e:
            st.radio("VGG-16 weights", list(WEIGHT_SOURCES), key=KEY("weights"), disabled=disabled,
                     format_func={"hed": "hed (bundled)", "imagenet": "ImageNet (Keras download)",
                                  "npz": "article's npz file"}.get)
            note, available = weights_note(state.get(KEY("weights"), "hed"))
            (st.caption if available else st.warning)(note)
            st.radio("Pooling", list(POOLINGS), key=KEY("pooling"), disabled=disabled, horizontal=True,
                     help="Gatys et al. replace VGG's max pooling by average pooling for smoother images.")
        with f:
            st.radio("Start from (init)", list(FIELDS["init"][2]), key=KEY("init"), disabled=disabled, horizontal=True,
                     help="g starts as a copy of the content image, random noise, or the style image.")
            st.number_input("Total-variation weight", step=1e-3, format="%g", key=KEY("tv_weight"),
                            disabled=disabled, help="Penalises neighbouring pixels that differ: less noise.")
            st.radio("Preserve the content's colours", list(PRESERVE_COLOR), key=KEY("preserve_color"),
                     disabled=disabled, horizontal=True,
                     help="luminance: style only the brightness; histogram: recolour the style image first.")
        with g:
            st.slider("Style scale", 0.25, 2.0, step=0.05, key=KEY("style_scale"), disabled=disabled,
                      help="The style image is resized to size x this before its Gram matrices are taken: "
                           "larger gives larger brush strokes.")
            st.slider("Scales (coarse to fine)", 1, max_scales(), key=KEY("scales"), disabled=disabled,
                      help="Multi-scale: run small first, enlarge, refine, up to the size above. "
                           "Iterations are split between the scales.")
            if "min_size" in FIELDS:
                st.number_input("Coarsest scale (px, 0 = automatic)", 0, MAX_SIZE, step=16, key=KEY("min_size"),
                                disabled=disabled,
                                help="The longest side of the first, coarsest scale: large strokes form there, "
                                     "where a layer sees more of the picture. 0: half the size per scale.")

    defaults = preset_values(state.get(KEY("preset"), default_preset()))
    defaults.update(every=5, blend=0.5)
    for name in FIELDS:
        if name in settings:
            continue
        settings[name] = state.get(KEY(name), defaults.get(name))
    state["studio_saved"] = dict(settings)
    _write_query(settings)
    inputs.update(content=content, content_name=content_name, styles=[style] + ([style2] if second else []),
                  style_names=[style_name] + ([style2_name] if second else []))
    return settings, inputs
