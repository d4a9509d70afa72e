"""One set of pictures for the whole walkthrough: the content photo and the style painting.

A learner who uploads a photo on any page (or picks a bundled one) gets it as the
content picture c of every page, the studio included, until they change it; the
same for the style painting s. The state lives in ``st.session_state`` by
*slot* ('content', 'style'; the studio's second style has its own, 'style2'),
not by page, so Streamlit emptying a page's uploader when the page is left loses
nothing:

    st.session_state["nst_pictures"][slot] = {"choice": bundled name,
                                             "upload": (file name, bytes) or None,
                                             "use_upload": bool}

:func:`picker` draws one picture's widgets anywhere (a page, a column, the
studio's settings); every picker of a slot shows the same picture, and its select
box names the uploaded file. The file itself never leaves the session: its
name is shown only to that session and never becomes a path or a URL.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from nst import images as imgs

UPLOAD_OPTION = "upload"  # the select box's value while the slot's upload is in use (the file name is only shown)


def _common():
    from ui import common  # late: ui.common imports this module for image_picker

    return common


def _slots() -> dict:
    return st.session_state.setdefault("nst_pictures", {})


def _slot(slot: str, kind: str, key: str, default: str | None) -> dict:
    """The slot's state, created on first use from the widget's own state (a studio link) or the default."""
    slots = _slots()
    if slot not in slots:
        names = list(_common().samples()[kind])
        preset = st.session_state.get(f"{key}_pick")  # e.g. the studio put a link's ?content= there
        choice = preset if preset in names else default if default in names else (names[0] if names else None)
        slots[slot] = {"choice": choice, "upload": None, "use_upload": False}
    return slots[slot]


def bundled_name(slot: str) -> str | None:
    """The bundled picture last chosen for ``slot`` (what a shareable link may carry; never an upload's name)."""
    entry = _slots().get(slot)
    return entry["choice"] if entry else None


def _picked(slot: str, key: str) -> None:
    """The select box changed: a bundled name, or the upload again."""
    entry = _slots()[slot]
    value = st.session_state.get(f"{key}_pick")
    if value == UPLOAD_OPTION:
        entry["use_upload"] = entry["upload"] is not None
    elif value is not None:
        entry["choice"], entry["use_upload"] = value, False


def _uploader_changed(slot: str, key: str) -> None:
    """A file was removed from the uploader (its x): forget it everywhere. A new file is read in the page."""
    if st.session_state.get(f"{key}_upload") is None:
        entry = _slots()[slot]
        entry["upload"], entry["use_upload"] = None, False


def _forget(slot: str) -> None:
    entry = _slots()[slot]
    entry["upload"], entry["use_upload"] = None, False


def picker(label: str, kind: str, key: str, slot: str | None = None, default: str | None = None,
           container=None, disabled: bool = False) -> tuple[np.ndarray, str]:
    """A picture for ``slot`` (default: ``kind``), shared by every page: returns (RGB array, display name).

    Draws a select box (the bundled pictures of ``kind``, 'content' or 'style', and the
    session's upload under its file name) and an uploader. A new upload becomes the slot's
    picture on every page; a bad one gets one sentence right under the uploader and the
    slot keeps its picture. Widget keys: ``<key>_pick``, ``<key>_upload``, ``<key>_forget``.
    """
    common = _common()
    box = container or st
    slot = slot or kind
    options = common.samples()[kind]
    entry = _slot(slot, kind, key, default)
    select_box = box.container()  # drawn after the uploader is read, so it names a new upload at once
    upload = box.file_uploader(f"...or upload your own {kind} image (max {common.UPLOAD_LIMIT_MB} MB)",
                               type=common.UPLOAD_TYPES, key=f"{key}_upload", disabled=disabled,
                               on_change=_uploader_changed, args=(slot, key))
    if upload is not None:
        data = upload.getvalue()
        if entry["upload"] is None or entry["upload"][1] != data:  # a file not seen before
            try:
                common._load_upload(data, upload.name)
            except imgs.ImageError as exc:
                keep = entry["upload"][0] if entry["use_upload"] and entry["upload"] else entry["choice"]
                box.error(f"{exc} Using '{keep}' instead.")
            else:
                entry["upload"], entry["use_upload"] = (upload.name, data), True
    image = name = None
    if entry["use_upload"] and entry["upload"]:
        name, data = entry["upload"]
        try:
            image = common._load_upload(data, name)
        except imgs.ImageError:  # cannot happen for a stored upload (it was read once); fall back quietly
            _forget(slot)
            image = name = None
        else:
            if upload is None:
                box.caption(f"Using your upload **{name}** (kept from before; it is the {kind} picture of "
                            "every page until you change it).")
                box.button("Use the bundled picture instead", key=f"{key}_forget", on_click=_forget, args=(slot,),
                           disabled=disabled, icon=":material/close:")
    if image is None:
        if entry["choice"] not in options:
            entry["choice"] = next(iter(options))
        name = entry["choice"]
        image = common.load_bundled(str(options[name]))

    choices = ([UPLOAD_OPTION] if entry["upload"] else []) + list(options)
    st.session_state[f"{key}_pick"] = UPLOAD_OPTION if entry["use_upload"] and entry["upload"] else entry["choice"]
    upload_label = f"{entry['upload'][0]} (your upload)" if entry["upload"] else ""
    select_box.selectbox(label, choices, key=f"{key}_pick", disabled=disabled, on_change=_picked, args=(slot, key),
                         format_func=lambda v: upload_label if v == UPLOAD_OPTION else v)
    return image, name


def current(slot: str, kind: str | None = None) -> tuple[np.ndarray, str]:
    """The slot's picture without drawing anything (a page that uses the learner's painting but does not pick it)."""
    common = _common()
    kind = kind or ("style" if slot.startswith("style") else "content")
    options = common.samples()[kind]
    entry = _slots().get(slot)
    if entry and entry["use_upload"] and entry["upload"]:
        name, data = entry["upload"]
        try:
            return common._load_upload(data, name), name
        except imgs.ImageError:
            pass
    name = entry["choice"] if entry and entry["choice"] in options else next(iter(options))
    return common.load_bundled(str(options[name])), name
