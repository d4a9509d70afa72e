"""The server's one optimisation slot: the queue every session (and every page that optimises) waits in."""
from __future__ import annotations

import time
from contextlib import contextmanager

import streamlit as st

from nst.runqueue import RunQueue, Ticket
from ui.studio.session import Presence, TabClosed, session_id


@st.cache_resource(show_spinner=False)
def run_queue() -> RunQueue:
    """The one queue of this process: one optimisation at a time, shared by every session."""
    return RunQueue(slots=1, wait_timeout=20.0, hold_timeout=300.0)


@contextmanager
def optimisation_slot(label: str = "", status_box=None):
    """For any page that optimises: hold this process's one optimisation slot while inside.

    Waits in the same first-come, first-served line as the studio, showing the
    place in it; ``label`` says what the run is to everyone waiting behind it
    (words anyone may see: no picture names). Call ``run_queue().heartbeat(ticket)``
    now and then if the work may take more than a few minutes. Leaving the block
    (or the script being ended by Streamlit) frees the slot.
    """
    queue = run_queue()
    ticket = queue.join(owner=session_id(), label=label)
    box = status_box if status_box is not None else st.empty()
    try:
        wait_for_turn(queue, ticket, box, Presence())
        box.empty()
        yield ticket
    finally:
        queue.release(ticket)


def wait_for_turn(queue: RunQueue, ticket: Ticket, box, presence: Presence) -> None:
    """Stay in line, showing the place, until this ticket holds the slot (each update is a stop point)."""
    waited = time.monotonic()
    while not queue.try_acquire(ticket):
        place = queue.place(ticket)
        ahead = place - 1
        now = running_label(queue)
        box.info(f"You are number {place} in the queue: {ahead} run{'s' if ahead != 1 else ''} ahead of "
                 f"yours ({f'running now: {now}; ' if now else ''}one runs at a time on this server). Yours "
                 f"starts by itself; waiting {time.monotonic() - waited:.0f} s.", icon=":material/hourglass_top:")
        if presence.gone():
            raise TabClosed
        queue.wait(ticket, 0.5)


def running_label(queue: RunQueue) -> str:
    """What holds the slot now, in its ticket's words ('' when nothing runs or it has no label)."""
    running = queue.snapshot()["running"]
    return running[0].label if running else ""


def queue_line() -> None:
    """Who is running (and what) and how many wait, for everyone to see."""
    snap = run_queue().snapshot()
    if snap["running"] or snap["waiting"]:
        mine = session_id()
        running = snap["running"][0] if snap["running"] else None
        if running and running.owner == mine:
            who = "your run"
        else:
            what = f" ({running.label})" if running and running.label else ""
            who = f"another session's run{what}"
        text = f"Server busy: {who} is going"
        if snap["waiting"]:
            text += f", {len(snap['waiting'])} waiting"
        st.caption(text + ". One optimisation runs at a time; Run puts yours in the queue.")
