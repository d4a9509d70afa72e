"""One browser session's side of the studio: its id, whether its tab is still there, its run record."""
from __future__ import annotations

import time
import uuid
from typing import Callable

import streamlit as st


def session_id() -> str:
    """A random id for this browser session (kept in session_state; recorded in each run's params.json)."""
    state = st.session_state
    if "studio_session" not in state:
        state["studio_session"] = uuid.uuid4().hex[:10]
    return state["studio_session"]


def _connection() -> tuple[str | None, Callable[[], bool | None]]:
    """(Streamlit's id of this browser session, a check: is its websocket still open? None outside a server).

    Streamlit internals, on purpose and only here. No public API says whether the browser tab of a
    running script is still connected: ``st.context`` (checked against Streamlit 1.67.0) offers cookies,
    headers, ip_address, is_embedded, locale, theme, timezone, timezone_offset and url, none of which
    changes when the tab closes, and a script is not told (it runs on until its next ``st`` call after
    server.disconnectedSessionTTL). So the session id comes from the script run context and the check
    asks the runtime, and any change there makes the check say None (unknown), which the run reads as
    "still there".
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        session = ctx.session_id if ctx else None
    except Exception:
        return None, lambda: None

    def connected() -> bool | None:
        try:
            if session is None or not Runtime.exists():
                return None
            return bool(Runtime.instance().is_active_session(session))
        except Exception:
            return None

    return session, connected


class Presence:
    """Is the browser tab still there? A closed tab keeps its script running for a while
    (server.disconnectedSessionTTL), so a run checks and gives its slot up after a grace period."""

    def __init__(self, grace_s: float = 15.0):
        self.grace_s = grace_s
        self.session, self.connected = _connection()
        self.seen = False
        self.gone_since: float | None = None

    def inactive_now(self) -> bool:
        """No websocket for this session at this moment (no grace period)."""
        return bool(self.seen and self.connected() is False)

    def gone(self) -> bool:
        active = self.connected()
        if active is None:
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
    'sweep' (the latest sweep: setting, values, folders), 'stop_clicked' (Stop was pressed
    since the last Run: the run's ``finally`` records "Stop button" as the reason).
    """
    state = st.session_state
    if "studio_box" not in state:
        state["studio_box"] = {"result": None, "saving": None, "mine": [], "sweep": None, "stop_clicked": False}
    state["studio_box"].setdefault("sweep", None)
    state["studio_box"].setdefault("stop_clicked", False)
    return state["studio_box"]


def request_run() -> None:
    st.session_state["studio_go"] = True
    session_box()["stop_clicked"] = False


def request_sweep() -> None:
    st.session_state["studio_go_sweep"] = True
    session_box()["stop_clicked"] = False


def request_stop() -> None:
    session_box()["stop_clicked"] = True


def wait_for_previous_run(timeout_s: float = 300.0) -> None:
    """If this session's last run is still saving its stopped result (another thread), wait for it."""
    saving = session_box().get("saving")
    if saving is not None and not saving.is_set():
        with st.spinner("Stopping: the current iteration finishes, then the last image is saved..."):
            saving.wait(timeout_s)
