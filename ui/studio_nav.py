"""Make a deep link (a shared /studio?... URL) go through app.py on a freshly started server.

Streamlit keeps a legacy path for apps with a ``pages/`` folder: until the
entry point has called ``st.navigation`` once in this process, a URL naming a
page runs that page's file alone (no sidebar, no page config, the folder's
own page list). A page that calls :func:`ensure_navigation` first notices this
and reruns through ``app.py``, which then routes to the same page by its URL.
"""
from __future__ import annotations

import streamlit as st


def ensure_navigation() -> None:
    """Rerun through the entry point if this page was started by the legacy pages/ router."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy router
        return
    if PagesManager.uses_pages_directory and Runtime.exists():
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets on its first call
        st.rerun()
