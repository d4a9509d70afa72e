"""The studio's settings panel: pictures, the preset and every setting, kept in the link."""
from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from nst.config import DEFAULT_PRESET, PRESETS, SETTINGS
from ui import common, link, pictures
from ui.studio.settings import (FIELDS, IMAGE_EVERY, KEY, STUDIO_DEFAULTS, parse_query, preset_values,
                                to_query, weights_note, widget)


def _init_widget_state() -> list[str]:
    """Give every setting's widget its value before it is drawn: the session's last, else the link's.

    Returns notes about link values that could not be used (shown once).
    """
    state = st.session_state
    saved = state.get("studio_saved")
    notes: list[str] = []
    if saved is None:
        params = link.read()
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
    link.write(to_query(settings))


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
        preset_widget = widget("preset")  # its help also says what each preset holds
        preset_widget["help"] += (" A preset sets every setting below; change any of them afterwards. "
                                  + " ".join(preset_help(name) for name in PRESETS))
        st.radio(**preset_widget, key=KEY("preset"), disabled=disabled, horizontal=True, on_change=_preset_changed)
        st.slider(**widget("size"), key=KEY("size"), disabled=disabled)
    with b:
        st.radio(**widget("optimizer"), key=KEY("optimizer"), disabled=disabled, horizontal=True)
        st.number_input(**widget("iterations"), key=KEY("iterations"), disabled=disabled)
        if state.get(KEY("optimizer")) == "adam":
            st.number_input(**widget("learning_rate"), format="%g", key=KEY("learning_rate"), disabled=disabled)
    with c:
        st.number_input(**widget("alpha"), format="%g", key=KEY("alpha"), disabled=disabled)
        st.number_input(**widget("beta"), format="%g", key=KEY("beta"), disabled=disabled)
    with d:
        st.select_slider("Show the image every", options=list(IMAGE_EVERY), key=KEY("image_every"),
                         disabled=disabled, format_func=lambda n: f"{n} iteration{'s' if n > 1 else ''}")
        st.number_input(**widget("seed"), key=KEY("seed"), disabled=disabled)

    with st.expander("More settings: weights, start image, colours, scales", expanded=False):
        e, f, g = st.columns(3)
        with e:
            st.radio(**widget("vgg_weights"), key=KEY("vgg_weights"), disabled=disabled)
            note, available = weights_note(state.get(KEY("vgg_weights"), SETTINGS["vgg_weights"].default))
            (st.caption if available else st.warning)(note)
            st.radio(**widget("pooling"), key=KEY("pooling"), disabled=disabled, horizontal=True)
        with f:
            st.radio(**widget("init"), key=KEY("init"), disabled=disabled, horizontal=True)
            st.number_input(**widget("tv_weight"), format="%g", key=KEY("tv_weight"), disabled=disabled)
            st.radio(**widget("tv_norm"), key=KEY("tv_norm"), disabled=disabled, horizontal=True)
            st.radio(**widget("preserve_color"), key=KEY("preserve_color"), disabled=disabled, horizontal=True)
        with g:
            st.slider(**widget("style_scale"), key=KEY("style_scale"), disabled=disabled)
            st.slider(**widget("scales"), key=KEY("scales"), disabled=disabled)
            st.number_input(**widget("min_size"), key=KEY("min_size"), disabled=disabled)

    defaults = preset_values(state.get(KEY("preset"), DEFAULT_PRESET))
    defaults.update(STUDIO_DEFAULTS)
    for name in FIELDS:
        if name in settings:
            continue
        settings[name] = state.get(KEY(name), defaults.get(name))
    state["studio_saved"] = dict(settings)
    _write_query(settings)
    inputs.update(content=content, content_name=content_name, styles=[style] + ([style2] if second else []),
                  style_names=[style_name] + ([style2_name] if second else []))
    return settings, inputs
