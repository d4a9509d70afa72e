"""One browser session's side of the studio: its id, whether its tab is still there, its run record."""
from __future__ import annotations

import time
import uuid

import streamlit as st


def session_id() -> str:
    """A random id for this browser session (kept in session_state; recorded in each run's params.json)."""
    state = st.session_state
    if "studio_session" not in state:
        state["studio_session"] = uuid.uuid4().hex[:10]
    return state["studio_session"]


def _browser_id() -> str | None:
    """Streamlit's id of this browser session (to notice a closed tab); None outside a server."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx else None
    except Exception:
        return None


class Presence:
    """Is the browser tab still there? A closed tab keeps its script running for a while
    (server.disconnectedSessionTTL), so a run checks and gives its slot up after a grace period."""

    def __init__(self, grace_s: float = 15.0):
        self.grace_s = grace_s
        self.session = _browser_id()
        self.seen = False
        self.gone_since: float | None = None

    def inactive_now(self) -> bool:
        """No websocket for this session at this moment (no grace period)."""
        try:
            from streamlit.runtime import Runtime

            return bool(self.seen and self.session and Runtime.exists()
                        and not Runtime.instance().is_active_session(self.session))
        except Exception:
            return False

    def gone(self) -> bool:
        try:
            from streamlit.runtime import Runtime

            if self.session is None or not Runtime.exists():
                return False
            active = Runtime.instance().is_active_session(self.session)
        except Exception:
            return False
        if active:
            self.seen, self.gone_since = True, None
            return False
        if not self.seen:
            return False
        self.gone_since = self.gone_since or time.monotonic()
        return time.monotonic() - self.gone_since > self.grace_s


class TabClosed(Exception):
    """The browser tab that started the run went away."""


def session_box() -> dict:
    """This session's run record: a plain dict kept in session_state and mutated in place.

    A run's ``finally`` writes its outcome here. It must not go through
    ``st.session_state`` there: every access to it is a point where Streamlit
    may raise again to end the script, which would cut the saving short.
    Keys: 'result' (dict), 'saving' (threading.Event), 'mine' (run folders),
    'sweep' (the latest sweep: setting, values, folders).
    """
    state = st.session_state
    if "studio_box" not in state:
        state["studio_box"] = {"result": None, "saving": None, "mine": [], "sweep": None}
    state["studio_box"].setdefault("sweep", None)
    return state["studio_box"]


def request_run() -> None:
    st.session_state["studio_go"] = True
    st.session_state.pop("studio_stop_clicked", None)


def request_sweep() -> None:
    st.session_state["studio_go_sweep"] = True
    st.session_state.pop("studio_stop_clicked", None)


def request_stop() -> None:
    st.session_state["studio_stop_clicked"] = True


def wait_for_previous_run(timeout_s: float = 300.0) -> None:
    """If this session's last run is still saving its stopped result (another thread), wait for it."""
    saving = session_box().get("saving")
    if saving is not None and not saving.is_set():
        with st.spinner("Stopping: the current iteration finishes, then the last image is saved..."):
            saving.wait(timeout_s)
