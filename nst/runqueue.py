"""A first-come, first-served queue for the one optimisation a process runs at a time.

The app's network is shared by every browser session of a classroom, and two
optimisations at once would only make both twice as slow. So a session that
wants to run takes a :class:`Ticket`, waits until it is at the head of the
line, runs, and releases its ticket::

    ticket = queue.join(owner="session-id", label="a studio run")
    try:
        while not queue.try_acquire(ticket):      # also a heartbeat
            show(queue.place(ticket))             # 1 = running, 2 = next, ...
            queue.wait(ticket, 0.5)
        ...run...                                 # queue.heartbeat(ticket) now and then
    finally:
        queue.release(ticket)

A session can vanish without reaching its ``finally`` (a hung thread, a killed
worker), so every ticket carries a heartbeat: a waiting ticket that has not
been seen for ``wait_timeout`` seconds, or a running one silent for
``hold_timeout`` seconds, is dropped and the line moves on. Nothing here knows
about Streamlit; the clock is injectable for tests.
"""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Ticket:
    """One session's place in the queue."""

    id: int
    owner: str = ""
    label: str = ""                    # what the run is, in words anyone in the line may see (no picture names)
    joined: float = 0.0
    beat: float = 0.0                  # last heartbeat (queue clock)
    started: float | None = None       # when it got the slot, None while waiting

    @property
    def running(self) -> bool:
        return self.started is not None


class RunQueue:
    """FIFO lock with ``slots`` holders, tickets and heartbeat timeouts; thread-safe."""

    def __init__(self, slots: int = 1, wait_timeout: float = 20.0, hold_timeout: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        if slots < 1:
            raise ValueError("A run queue needs at least one slot.")
        self.slots = slots
        self.wait_timeout = float(wait_timeout)
        self.hold_timeout = float(hold_timeout)
        self._clock = clock
        self._cond = threading.Condition()
        self._tickets: dict[int, Ticket] = {}   # insertion order is the line
        self._ids = itertools.count(1)
        self.expired: list[Ticket] = []          # dropped for silence, newest last (bounded)

    # --- joining and leaving ----------------------------------------------
    def join(self, owner: str = "", label: str = "") -> Ticket:
        """A new ticket at the end of the line; ``label`` names the run to those waiting behind it."""
        with self._cond:
            now = self._clock()
            ticket = Ticket(next(self._ids), owner=owner, label=label, joined=now, beat=now)
            self._tickets[ticket.id] = ticket
            self._promote()
            return ticket

    def release(self, ticket: Ticket) -> None:
        """Leave the queue (running or waiting); safe to call twice."""
        with self._cond:
            if self._tickets.pop(ticket.id, None) is not None:
                self._promote()
                self._cond.notify_all()

    # --- while in line ------------------------------------------------------
    def heartbeat(self, ticket: Ticket) -> bool:
        """Say the ticket's session is alive; False when the ticket was already dropped."""
        with self._cond:
            self._expire()
            current = self._tickets.get(ticket.id)
            if current is None:
                return False
            current.beat = self._clock()
            return True

    def try_acquire(self, ticket: Ticket) -> bool:
        """Heartbeat, then True if this ticket holds a slot (it is its turn).

        A ticket that was dropped for silence joins again at the end of the line
        (same id), so a session that was only slow never waits forever.
        """
        with self._cond:
            self._expire()
            if ticket.id not in self._tickets:
                ticket.started = None
                ticket.beat = self._clock()
                self._tickets[ticket.id] = ticket
            ticket.beat = self._clock()
            self._promote()
            return ticket.running

    def wait(self, ticket: Ticket, timeout: float) -> bool:
        """Sleep until the line moves or ``timeout`` seconds pass; True if the ticket now runs."""
        with self._cond:
            if not ticket.running:
                self._cond.wait(timeout)
        return self.try_acquire(ticket)

    def place(self, ticket: Ticket) -> int:
        """1-based place in the whole line, the running run(s) first; 0 if the ticket is gone."""
        with self._cond:
            self._expire()
            for n, tid in enumerate(self._ordered(), start=1):
                if tid == ticket.id:
                    return n
            return 0

    # --- looking at it ----------------------------------------------------
    def snapshot(self) -> dict:
        """{'running': [tickets], 'waiting': [tickets]} in order (copies' views; do not mutate)."""
        with self._cond:
            self._expire()
            tickets = [self._tickets[t] for t in self._ordered()]
            return {"running": [t for t in tickets if t.running],
                    "waiting": [t for t in tickets if not t.running]}

    def __len__(self) -> int:
        with self._cond:
            self._expire()
            return len(self._tickets)

    # --- internals (call with the lock held) --------------------------------
    def _ordered(self) -> list[int]:
        running = [t.id for t in self._tickets.values() if t.running]
        waiting = [t.id for t in self._tickets.values() if not t.running]
        return running + waiting

    def _expire(self) -> None:
        now = self._clock()
        dead = [t for t in self._tickets.values()
                if now - t.beat > (self.hold_timeout if t.running else self.wait_timeout)]
        for t in dead:
            del self._tickets[t.id]
            self.expired.append(t)
        del self.expired[:-50]
        if dead:
            self._promote()
            self._cond.notify_all()

    def _promote(self) -> None:
        running = sum(t.running for t in self._tickets.values())
        for t in self._tickets.values():
            if running >= self.slots:
                break
            if not t.running:
                t.started = self._clock()
                running += 1
