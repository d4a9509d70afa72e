"""One optimisation from the page: wait for the slot, optimise, show it live, record it in gen_N.

The run happens in the script run itself (see ``ui/studio/__init__.py``); every
``st`` call in the loop is a point where a Stop click (a rerun) ends it, and the
``finally`` records what there is. The live view is throttled by wall time, not
by iteration, so that drawing never takes the two cores from the optimisation:
the progress line every second, the image when ``every`` iterations and
at least 1 s have passed (sent as a compact JPEG, once per new image), the
charts every 2 s as one small SVG picture (at most 200 points a curve; a Plotly
chart cost the browser ~15x more per update), the interactive Plotly charts once
the run is over. The timelapse keeps a frame every ``every`` iterations whether or
not the page was sent it (a JPEG on the server costs a few ms). Measured in Chromium, each new picture (image or chart) costs the
page's main thread about 0.1 s on this project's busy 2-core machine, a progress
line a few ms: pictures are what the cadence is set by. The frames shown are kept for the timelapse.
"""
from __future__ import annotations

import threading
import time

import streamlit as st

from nst import charts
from nst import images as imgs
from nst.config import StyleConfig
from nst.optimize import coarse_note
from nst.pipeline import RunRecorder
from nst.weights import WeightsUnavailable
from ui import common
from ui.studio import media
from ui.studio.session import Presence, TabClosed, session_box, session_id
from ui.studio.settings import image_every_setting
from ui.studio.slot import run_queue, wait_for_turn
from ui.studio.store import data_dir


# why a run stopped early, as recorded in params.json's "reason" (RunRecorder.finish_partial)
STOP_BUTTON = "Stop button"
PAGE_LEFT = "page left or reran"
TAB_CLOSED = "tab closed"


def fmt_seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


def progress_text(event) -> str:
    rate = event.iteration / event.elapsed if event.elapsed > 0 else 0.0
    text = (f"Iteration {event.iteration} / {event.total_iterations} · {fmt_seconds(event.elapsed)} · "
            f"{rate:.2f} it/s")
    scales = event.scales  # the scales that run (not config.scales: sizes that would repeat are dropped)
    if scales > 1:
        text += f" · scale {event.scale + 1}/{scales} ({event.shape[1]}x{event.shape[0]} px)"
    return text


def draw_charts(area: dict, rows: list[dict], config: StyleConfig, tag: str, points: int | None = None,
                loss_height: int = 300) -> None:
    """The loss and per-layer charts into ``area['loss']`` and ``area['layers']`` (``points``: thin the curves)."""
    if not rows:
        return
    switches = charts.scale_switches(rows)
    shown = charts.thin_rows(rows, points) if points else rows
    if "loss" in area:
        area["loss"].plotly_chart(
            charts.loss_figure(shown, config.alpha, config.beta, config.tv_weight, height=loss_height,
                               switches=switches),
            width="stretch", key=f"studio_loss_{tag}", config={"displayModeBar": False})
    if "layers" in area:
        area["layers"].plotly_chart(charts.layer_figure(shown, switches=switches), width="stretch",
                                    key=f"studio_layers_{tag}", config={"displayModeBar": False})


class LiveView:
    """What the page shows while a run goes, throttled by wall time.

    ``area`` holds placeholders: 'progress', 'image' and optionally 'status', 'loss', 'layers'.
    """

    PROGRESS_S = 1.0     # the progress line at most this often
    IMAGE_S = 1.0        # images at least this far apart (and ``image_every`` iterations)
    CHART_S = 2.0        # charts at least this far apart ...
    CHART_SHARE = 0.05   # ... and further if drawing them took more than this share of the time,
    CHART_MAX_S = 3.0    # ... but never further than this
    CHART_POINTS = 200   # points a curve while live

    def __init__(self, area: dict, config: StyleConfig, image_every: int, tag: str = "live",
                 image_caption: str = "g"):
        self.area, self.config, self.image_every, self.tag = area, config, max(1, int(image_every)), tag
        self.image_caption = image_caption
        self.progress_at = self.chart_at = self.image_at = 0.0
        self.chart_gap = self.CHART_S
        self.image_iteration = 0
        self.status_shown = True
        self.folder = None
        self.frames_kept = 0
        self.frame_iteration = 0
        self.layers_cleared = False

    def starting(self) -> None:
        if "timelapse" in self.area:  # the last run's animation stops playing (it would cost the page all run)
            self.area["timelapse"].empty()
        if "status" in self.area:
            self.area["status"].info("Starting: preparing the style targets and compiling the loss "
                                     "(a few seconds)...")

    def update(self, event, rows: list[dict]) -> None:
        now = time.monotonic()
        if now - self.progress_at >= self.PROGRESS_S:
            self.progress_at = now
            self.area["progress"].progress(min(1.0, event.iteration / event.total_iterations),
                                           text=progress_text(event))
            if self.status_shown and "status" in self.area:
                self.area["status"].empty()
                self.status_shown = False
        if ("loss" in self.area or "layers" in self.area) and now - self.chart_at >= self.chart_gap:
            self.draw_live_charts(rows, event.total_iterations)
            took = time.monotonic() - now
            self.chart_at = time.monotonic()
            self.chart_gap = min(self.CHART_MAX_S, max(self.CHART_S, took / self.CHART_SHARE))
        if event.image is None:
            return
        data = None
        # the timelapse keeps a frame every ``image_every`` iterations (a few ms of JPEG each, on the server) ...
        if self.folder is not None and self.frames_kept < media.MAX_SAVED_FRAMES and (
                self.frame_iteration == 0 or event.iteration - self.frame_iteration >= self.image_every):
            data = media.jpeg_bytes(event.image)
            media.save_frame(self.folder, event.iteration, data)
            self.frames_kept, self.frame_iteration = self.frames_kept + 1, event.iteration
        # ... the page gets one when ``image_every`` iterations and IMAGE_S have passed (a picture costs the browser)
        if self.image_iteration == 0 or (
                event.iteration - self.image_iteration >= self.image_every and now - self.image_at >= self.IMAGE_S):
            self.image_at, self.image_iteration = now, event.iteration
            data = data or media.jpeg_bytes(event.image)
            self.area["image"].image(data, width="stretch",
                                     caption=f"{self.image_caption} after {event.iteration} iteration"
                                             f"{'s' if event.iteration != 1 else ''} "
                                             f"({event.shape[1]}x{event.shape[0]} px)")

    def draw_live_charts(self, rows: list[dict], total_iterations: int) -> None:
        """The loss charts as SVG pictures (see :mod:`nst.charts`): the same curves as the
        Plotly charts drawn after the run, at a small fraction of the browser's work."""
        switches = charts.scale_switches(rows)
        shown = charts.thin_rows(rows, self.CHART_POINTS)
        cfg = self.config
        docs = []
        if "loss" in self.area:
            docs.append(charts.loss_svg(shown, cfg.alpha, cfg.beta, cfg.tv_weight, total_iterations, switches))
        if "layers" in self.area:
            docs.append(charts.layer_svg(shown, total_iterations, switches))
            if not self.layers_cleared:  # both charts go into one picture: one update a second, not two
                self.area["layers"].empty()
                self.layers_cleared = True
        target = self.area["loss"] if "loss" in self.area else self.area["layers"]
        target.image(charts.stacked_svg(*docs), width="stretch")


def stylize_events(inputs: dict, config: StyleConfig, features, stop: threading.Event):
    """The library's generator, with an image in every event (so the live view can show any of them)."""
    from nst.optimize import stylize

    return stylize(inputs["content"], inputs["styles"], config, features, image_every=1, stop=stop)


def execute(config: StyleConfig, inputs: dict, view: LiveView, sink: dict, status_box, extra: dict | None = None,
            label: str = "a studio run") -> None:
    """Wait for the slot, optimise, record; the outcome lands in ``sink['result']`` (also when Streamlit
    ends the script run: a Stop click, a page switch, a closed tab).

    ``inputs``: content, styles, content_name, style_names; ``extra``: more for params.json's inputs;
    ``label``: what the run is, shown to everyone waiting behind it (so no picture names: they may be uploads).
    """
    box = session_box()
    session = session_id()
    queue = run_queue()
    try:
        features = common.features(config.vgg_weights, common.POOLING)
    except WeightsUnavailable as exc:
        sink["result"] = {"folder": None, "status": "failed", "message": str(exc)}
        return
    presence = Presence()
    # With Streamlit's fast reruns, the script run after a Stop click starts in a new thread
    # while this one is still saving; that run waits on this event (see wait_for_previous_run).
    finished_saving = threading.Event()
    box["saving"] = finished_saving
    ticket = queue.join(owner=session, label=label)
    stop = threading.Event()
    recorder: RunRecorder | None = None
    gen = None
    last = None          # the latest Progress event
    outcome = "ended"    # until the loop knows better: Streamlit ended the script run (Stop, a rerun, a page switch)
    error = ""
    try:
        wait_for_turn(queue, ticket, status_box, presence)
        view.starting()
        recorder = RunRecorder.create(
            config, root=data_dir(), final_shape=imgs.resize_to(inputs["content"], int(config.size)).shape[:2],
            content=inputs["content_name"], styles=inputs["style_names"], session=session, **(extra or {}))
        view.folder = recorder.folder
        sink["result"] = {"folder": str(recorder.folder), "status": "running"}
        box["mine"].append(str(recorder.folder))
        gen = stylize_events(inputs, config, features, stop)
        for event in gen:
            last = event
            queue.heartbeat(ticket)
            recorder.record(event)
            if event.done:
                outcome = "done"
                break
            view.update(event, recorder.rows)
            if presence.gone():
                raise TabClosed
    except TabClosed:
        outcome = TAB_CLOSED
    except Exception as exc:  # a failure inside the engine: one sentence, the run folder says so too
        outcome = "failed"
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        error = f"The run failed: {first_line}"
    finally:
        try:
            if outcome == "ended" and presence.inactive_now():
                outcome = TAB_CLOSED  # Streamlit ended the script because the session went away
            if recorder is not None and outcome == "failed":
                recorder.mark_failed(error)  # as the CLI does when the engine fails
            elif recorder is not None and outcome != "done":
                reason = TAB_CLOSED if outcome == TAB_CLOSED else STOP_BUTTON if box.get("stop_clicked") \
                    else PAGE_LEFT  # (the Stop button's callback runs in the next script run, long before this)
                last = finish_stopped(gen, stop, recorder, last, reason)
            if recorder is not None:
                failed = outcome == "failed"
                sink["result"] = {
                    "folder": str(recorder.folder), "status": "failed" if failed else last.status,
                    "message": error if failed else last.message,
                    "coarse": "" if failed else coarse_note(last),
                    "iteration": last.iteration if last else 0,
                    "total": config.iterations, "elapsed": last.elapsed if last else 0.0}
            elif outcome != "done":
                sink["result"] = {"folder": None, "status": "left_queue" if not error else "failed",
                                  "message": error or "You left the queue before your run started."}
        finally:  # whatever happened above, the slot is freed and nobody waits on this run
            if gen is not None:
                gen.close()
            queue.release(ticket)
            finished_saving.set()


def run(config: StyleConfig, inputs: dict, area: dict) -> None:
    """The studio's Run: one run drawn into ``area`` ('status', 'progress', 'image', 'loss', 'layers');
    the outcome lands in session_box()['result']."""
    view = LiveView(area, config, image_every_setting(st.session_state))
    execute(config, inputs, view, session_box(), area["status"])


def finish_stopped(gen, stop: threading.Event, recorder: RunRecorder, last, reason: str):
    """Record a run that did not reach its last iteration; returns its final event.

    The generator is asked to stop and hands over its final event (the last image and the
    losses so far); :meth:`nst.pipeline.RunRecorder.finish_partial` records it with ``reason``
    (``STOP_BUTTON``, ``PAGE_LEFT``, ``TAB_CLOSED``), as the CLI records a signal.
    No st call happens here: Streamlit may be ending this script run.
    """
    final = None
    if gen is not None:
        stop.set()
        try:
            for event in gen:
                if event.done:
                    final = event
                    break
        except Exception:  # the engine failing while stopping leaves what was recorded so far
            final = None
    return recorder.finish_partial(reason, final=final, last=last)
