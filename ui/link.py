"""The link (the URL's query parameters): the one way every page and the studio keep choices in it.

No page calls ``st.query_params`` or binds a widget to the URL itself; all go through here.
A widget's value comes from the link the first time it is drawn in a session (the link someone
shared; a value that is not one of its options is ignored), and goes back into the link when it
changes; a value equal to its default is left out, so a link stays short. The run's settings use
the settings table's keys and text (``nst.config.SETTINGS``, ``nst.link``): ``?beta=0.001`` means
the same on page 6 and in the studio. The studio reads and writes its whole link at once
(``read``/``write``, with ``nst.link``'s codec); the pages keep one widget at a time (``choice``,
``setting_choice``).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import streamlit as st

from nst import link as codec
from nst.config import SETTINGS


def read() -> dict[str, str]:
    """The link's values, {key: text}."""
    return st.query_params.to_dict()


def write(values: Mapping[str, str]) -> None:
    """Make the link exactly ``values`` (the studio's settings, all at once)."""
    if st.query_params.to_dict() != dict(values):
        st.query_params.from_dict(values)


def keep(key: str, text: str | None) -> None:
    """One value in the link (``None``: out of it)."""
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != text:
        st.query_params[key] = text


def choice(draw: Callable, label: str, options: Sequence, *, key: str, default: Any,
           text: Callable[[Any], str] = str, **kwargs) -> Any:
    """A widget that picks one of ``options`` (``st.selectbox``, ``radio``, ``select_slider``,
    ``segmented_control``, or the same on a column), its value kept in the link as ``?key=text(value)``."""
    options = list(options)
    state = st.session_state
    if key not in state or state[key] not in options:  # first drawn in this session: the link's value
        by_text = {text(option): option for option in options}
        for option in options:
            by_text.setdefault(str(option), option)  # also the option as written (a link of an earlier version)
        state[key] = by_text.get(str(st.query_params.get(key, "")), default)
    value = draw(label, options, key=key, **kwargs)
    keep(key, None if value == default else text(value))
    return value


def setting_choice(draw: Callable, name: str, options: Sequence, *, default: Any, label: str | None = None,
                   **kwargs) -> Any:
    """``choice`` for a run setting of the table: its label, help, link key and link text are the table's and
    the studio's (nst.link), so a link means the same here and there. ``options`` may be the setting's values
    or their texts ("1e-3" for 0.001)."""
    spec = SETTINGS[name]
    kwargs.setdefault("help", spec.sentence)
    return choice(draw, label or spec.label, options, key=spec.url, default=default,
                  text=lambda value: codec.text(name, spec.kind(value)), **kwargs)
