"""A sweep: one setting, 2 to 5 values, one run each through the queue, shown as a live grid.

Each run waits its turn in the server's queue like any other (so a sweep never
holds the slot from the class for more than one run at a time), is recorded in
its own gen_N folder (params.json says which sweep and value), and is drawn in
its cell while it runs. The finished grid, with every run's final loss terms,
downloads as one PNG sheet.
"""
from __future__ import annotations

import math
import uuid
from typing import Any, Mapping

import streamlit as st

from nst.config import PRESETS, SETTINGS, StyleConfig, preset
from nst.pipeline import read_run
from ui.studio import media
from ui.studio.runner import LiveView, execute
from ui.studio.session import request_sweep, session_box
from ui.studio.settings import KEY, image_every_setting

MIN_VALUES, MAX_VALUES = 3, 5


def _layer_of(choice: str) -> str:
    return choice.split(" ", 1)[1] if choice.startswith("w_l ") else ""


def sweep_settings(config: StyleConfig) -> dict[str, dict]:
    """{choice: {'label', 'kind' ('number' or 'choice'), 'default' (text or list), 'choices', 'help'}}."""
    out = {
        "beta": {"label": "β (style weight; α stays)", "kind": "number",
                 "default": ", ".join(f"{config.beta * f:g}" for f in (0.1, 1, 10)),
                 "help": "Raise β for more style, lower it for more of the photo."},
        "style_scale": {"label": "style scale", "kind": "number", "default": "0.5, 1, 1.5",
                        "help": "The style image's size relative to the result: larger gives larger strokes."},
    }
    for layer in config.style_layers:
        w = config.w_l()[layer]
        out[f"w_l {layer}"] = {"label": f"w_l of {layer}", "kind": "number",
                               "default": ", ".join(f"{w * f:g}" for f in (0, 1, 5)),
                               "help": f"The weight of {layer}'s style term (0 switches it off)."}
    out["preset"] = {"label": "preset", "kind": "choice", "default": list(PRESETS)[:MAX_VALUES],
                     "choices": list(PRESETS), "help": "The layer sets and weights of each preset."}
    poolings = list(SETTINGS["pooling"].choices)
    out["pooling"] = {"label": "pooling", "kind": "choice", "default": poolings, "choices": poolings,
                      "help": "Average (Gatys et al.) or max pooling (VGG-16's own)."}
    return out


def parse_values(text: str) -> list[float]:
    """'0.001, 0.01; 0.1' -> numbers; ValueError with one sentence when that is not 3 to 5 numbers."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"'{part.strip()}' is not a number: write {MIN_VALUES} to {MAX_VALUES} numbers "
                             "separated by commas, e.g. 0.0001, 0.001, 0.01.") from None
        if not math.isfinite(value):
            raise ValueError(f"'{part.strip()}' is not a finite number.")
        values.append(value)
    values = list(dict.fromkeys(values))
    if not MIN_VALUES <= len(values) <= MAX_VALUES:
        raise ValueError(f"A sweep takes {MIN_VALUES} to {MAX_VALUES} different values; "
                         f"{len(values)} {'was' if len(values) == 1 else 'were'} given.")
    return values


def value_config(base: StyleConfig, settings: Mapping[str, Any], choice: str, value: Any) -> StyleConfig:
    """The base run's config with one setting changed (a preset brings its own layers and weights)."""
    if choice == "beta":
        return base.replace(beta=float(value))
    if choice == "style_scale":
        return base.replace(style_scale=float(value))
    if choice.startswith("w_l "):
        return base.replace(layer_weights={**base.layer_weights, _layer_of(choice): float(value)})
    if choice == "pooling":
        return base.replace(pooling=str(value))
    if choice == "preset":
        keep = {k: getattr(base, k) for k in ("size", "iterations", "vgg_weights", "init", "seed", "preserve_color",
                                              "style_blend")}
        return preset(str(value), **keep)
    raise ValueError(f"Unknown sweep setting {choice!r}.")


def value_label(choice: str, value: Any) -> str:
    name = {"beta": "β", "style_scale": "style scale", "preset": "preset", "pooling": "pooling"}.get(
        choice, f"w_l {_layer_of(choice)}")
    return f"{name} = {value:g}" if isinstance(value, float) else f"{name} = {value}"


def plan(base: StyleConfig, settings: Mapping[str, Any]) -> tuple[str, list, list[StyleConfig]]:
    """(setting, values, configs) from the sweep widgets; ValueError with one sentence when unusable."""
    state = st.session_state
    options = sweep_settings(base)
    choice = state.get(KEY("sweep_setting")) or "beta"
    if choice not in options:
        choice = "beta"
    spec = options[choice]
    if spec["kind"] == "number":
        values: list = parse_values(state.get(KEY(f"sweep_values_{choice}"), spec["default"]))
    else:
        values = list(state.get(KEY(f"sweep_pick_{choice}"), spec["default"]))
        if not 2 <= len(values) <= MAX_VALUES:
            raise ValueError(f"Pick 2 to {MAX_VALUES} values of {spec['label']} to compare.")
    configs = []
    for value in values:
        try:
            configs.append(value_config(base, settings, choice, value).validate())
        except ValueError as exc:
            raise ValueError(f"{value_label(choice, value)}: {exc}") from None
    return choice, values, configs


def final_lines(info: dict) -> list[str]:
    """The final loss terms of a run, as its cell shows them: total, α·L_content, β·L_style."""
    params = info.get("params", {})
    losses = params.get("final_losses") or (info.get("losses") or [{}])[-1]
    cfg = params.get("config", {})
    alpha, beta = float(cfg.get("alpha", 1.0)), float(cfg.get("beta", 1.0))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, (int, float)) and math.isfinite(v) else "-"
    lines = [f"total L {fmt(losses.get('total'))}"]
    if losses.get("content") is not None:
        lines.append(f"α·L_content {fmt(alpha * losses['content'])}")
    if losses.get("style") is not None:
        lines.append(f"β·L_style {fmt(beta * losses['style'])}")
    return lines


def _cells(n: int) -> list[dict]:
    cols = st.columns(n)
    cells = []
    for col in cols:
        with col:
            cells.append({"label": st.empty(), "status": st.empty(), "image": st.empty(), "progress": st.empty(),
                          "lines": st.empty()})
    return cells


def _show_cell(cell: dict, item: dict) -> None:
    cell["label"].markdown(f"**{item['label']}**")
    result = item.get("result")
    if not result:
        cell["status"].caption("Not run: the sweep was stopped before it.")
        return
    if result.get("folder") is None:
        cell["status"].caption(result.get("message", ""))
        return
    info = read_run(result["folder"])
    params = info["params"]
    status, done = params.get("status", result.get("status")), params.get("iterations_done", 0)
    if info["result"]:
        cell["image"].image(str(info["result"]), width="stretch",
                            caption=f"{info['folder'].name} · {status} · {done} it")
    cell["lines"].caption("  \n".join(final_lines(info)))


def sheet_bytes(sweep: dict) -> bytes:
    """The sweep as one PNG (made once per sweep and state of its runs)."""
    stamp = tuple((item["label"], (item.get("result") or {}).get("folder"), (item.get("result") or {}).get("status"))
                  for item in sweep["items"])
    return _sheet(sweep["title"], stamp)


@st.cache_data(show_spinner=False, max_entries=8)
def _sheet(title: str, stamp: tuple) -> bytes:
    return _make_sheet({"title": title, "items": [{"label": label, "result": {"folder": folder} if folder else None}
                                                  for label, folder, _ in stamp]})


def _make_sheet(sweep: dict) -> bytes:
    cells = []
    for item in sweep["items"]:
        result = item.get("result") or {}
        info = read_run(result["folder"]) if result.get("folder") else None
        cells.append({"label": item["label"], "image": info["result"] if info else None,
                      "lines": final_lines(info) if info else ["not run"]})
    return media.sweep_sheet(cells, sweep["title"])


def section(settings: Mapping[str, Any], base: StyleConfig | None, inputs: dict, start: bool, busy: bool) -> bool:
    """The sweep's controls and its grid; runs the sweep when ``start``. Returns True if it ran."""
    state = st.session_state
    box = session_box()
    st.subheader("Sweep: one setting, several values")
    st.caption("The same run with one setting changed: every value runs in turn through the server's queue, "
               "each in its own cell below, the way the neural-style README compares settings, on your own "
               "pictures. The other settings are those above.")
    if base is None:
        st.caption("Fix the settings above first.")
        return False
    options = sweep_settings(base)
    left, mid, right = st.columns([2, 3, 1], vertical_alignment="bottom")
    choice = left.selectbox("Setting to sweep", list(options), key=KEY("sweep_setting"), disabled=busy,
                            format_func=lambda c: options[c]["label"])
    spec = options[choice]
    if spec["kind"] == "number":
        mid.text_input(f"{MIN_VALUES} to {MAX_VALUES} values, separated by commas", value=spec["default"],
                       key=KEY(f"sweep_values_{choice}"), disabled=busy, help=spec["help"])
    else:
        mid.multiselect(f"2 to {MAX_VALUES} values", spec["choices"], default=spec["default"],
                        key=KEY(f"sweep_pick_{choice}"), disabled=busy, help=spec["help"])
    problem = ""
    try:
        choice, values, configs = plan(base, settings)
    except ValueError as exc:
        problem = str(exc)
        values, configs = [], []
    right.button("Start the sweep", key=KEY("sweep_run"), on_click=request_sweep, disabled=busy or bool(problem),
                 icon=":material/view_column:", width="stretch")
    if problem:
        st.error(problem)
    if start and configs:
        sweep_id = uuid.uuid4().hex[:8]
        title = (f"Sweep of {options[choice]['label']}: {inputs['content_name']} x "
                 f"{' + '.join(inputs['style_names'])}, {base.size} px, {base.iterations} iterations")
        box["sweep"] = sweep = {"id": sweep_id, "setting": choice, "title": title,
                                "items": [{"label": value_label(choice, v), "value": v, "result": None}
                                          for v in values]}
        cells = _cells(len(values))
        for cell, item in zip(cells, sweep["items"]):
            cell["label"].markdown(f"**{item['label']}**")
            cell["status"].caption("Waiting for its turn.")
        image_every = image_every_setting(state)
        for n, (cell, item, config) in enumerate(zip(cells, sweep["items"], configs)):
            view = LiveView({"progress": cell["progress"], "image": cell["image"], "status": cell["status"]},
                            config, image_every, tag=f"sweep{n}_")
            execute(config, inputs, view, item, cell["status"],
                    extra={"sweep": {"id": sweep_id, "setting": choice, "value": item["value"], "index": n}},
                    label=f"a studio sweep, run {n + 1} of {len(values)}")
            cell["progress"].empty()
            _show_cell(cell, item)
            if (item.get("result") or {}).get("status") not in ("finished", "diverged"):
                break
        return True
    sweep = box.get("sweep")
    if sweep:
        st.markdown(f"**{sweep['title']}**")
        for cell, item in zip(_cells(len(sweep["items"])), sweep["items"]):
            _show_cell(cell, item)
        if any((item.get("result") or {}).get("folder") for item in sweep["items"]):
            st.download_button("Download the sweep as one sheet (PNG)", sheet_bytes(sweep),
                               file_name=f"sweep_{sweep['id']}.png", mime="image/png", key=KEY("sweep_sheet"),
                               on_click="ignore", icon=":material/download:", type="primary")
    return False
