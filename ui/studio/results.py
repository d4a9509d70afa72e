"""Showing runs: this session's latest result, its timelapse, downloads, and the earlier runs."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import streamlit as st

from nst.charts import loss_figure
from nst.config import StyleConfig
from nst.pipeline import existing_runs, read_run
from ui.studio import media
from ui.studio.runner import STOP_BUTTON, draw_charts, fmt_seconds
from ui.studio.session import session_box, session_id
from ui.studio.store import data_dir, is_mine, public_name, public_params, shared_gallery

# params.json's status (nst.optimize.STATUSES, or 'failed': RunRecorder.mark_failed) in the list of runs
STATUS_WORDS = {"finished": "finished", "stopped": "stopped", "diverged": "diverged (NaN)",
                "running": "running (or killed mid-run)", "failed": "failed"}


def describe(info: dict, own: bool = True) -> str:
    """One line for a run; someone else's run names no uploaded file."""
    params = info.get("params", {})
    cfg = params.get("config", {})
    inputs = params.get("inputs", {})
    styles = inputs.get("styles") or []
    name = (lambda n: str(n)) if own else public_name
    content = name(inputs["content"]) if inputs.get("content") else "?"
    sweep = inputs.get("sweep") or {}
    what = f" · sweep {sweep.get('setting')} = {sweep.get('value')}" if sweep else ""
    return (f"{info['folder'].name} · {STATUS_WORDS.get(params.get('status'), params.get('status', '?'))} · "
            f"{content} x {' + '.join(name(s) for s in styles) or '?'} · {cfg.get('size', '?')} px · "
            f"{params.get('iterations_done', 0)}/{cfg.get('iterations', '?')} it{what}")


def show_result(result: dict, area: dict) -> None:
    """The outcome of this session's latest run, read back from its own gen_N folder."""
    status = result.get("status")
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
    its = f"{done} iteration{'s' if done != 1 else ''}"
    if status == "finished":
        area["status"].success(f"Finished {its} in {fmt_seconds(seconds)}{rate}. Saved as {where}.")
    elif status == "stopped":
        reason = params.get("reason", "")
        who = "You stopped the run" if reason == STOP_BUTTON else "The run stopped"
        why = f" ({reason})" if reason and reason != STOP_BUTTON else ""
        kept = "the last image is kept" if info["result"] else "no image was made yet"
        coarse = result.get("coarse", "")
        area["status"].info(f"{who} at iteration {done} of {total}{why}; {kept}. {coarse} Saved as {where}.",
                            icon=":material/stop_circle:")
    elif status == "diverged":
        area["status"].warning(f"The run diverged at iteration {done}: {params.get('message', '')} Saved as {where}.")
    elif status == "failed":
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
    if "timelapse" in area:
        with area["timelapse"].container():
            timelapse(info, "studio_tl_result")


@st.cache_data(show_spinner=False, max_entries=16)
def _timelapse_bytes(folder: str, stamp: tuple) -> bytes | None:
    """The run's animated WebP, made once per run (``stamp`` changes when its frames or result do)."""
    path = Path(folder) / "timelapse.webp"
    if path.exists() and path.stat().st_mtime >= max(stamp[1:] or (0,)):
        return path.read_bytes()
    data = media.timelapse_webp(Path(folder))
    if data is not None:
        try:
            path.write_bytes(data)
        except OSError:
            pass
    return data


def timelapse(info: dict, key: str) -> None:
    """The run's kept frames, played on the page (an animated WebP), and the file to download."""
    folder = Path(info["folder"])
    frames = media.frame_files(folder)
    if len(frames) + (1 if info["result"] else 0) < 2:
        return
    result_mtime = info["result"].stat().st_mtime if info["result"] else 0.0
    stamp = (len(frames), frames[-1][1].stat().st_mtime if frames else 0.0, result_mtime)
    with st.spinner("Making the timelapse..."):
        data = _timelapse_bytes(str(folder), stamp)
    if data is None:
        return
    shown = min(len(frames), media.TIMELAPSE_FRAMES - 1)
    with st.expander(f"Timelapse: {shown} frames from iteration {frames[0][0]} to the result, looping",
                     expanded=True):
        encoded = base64.b64encode(data).decode("ascii")
        st.html(f'<img src="data:image/webp;base64,{encoded}" alt="Timelapse of {folder.name}" '
                f'style="width:100%;max-height:480px;object-fit:contain;display:block">')
        st.download_button("Download the timelapse (animated WebP)", data, file_name=f"{folder.name}_timelapse.webp",
                           mime="image/webp", key=f"{key}_webp", on_click="ignore", icon=":material/movie:")


def downloads(info: dict, key: str, own: bool = True) -> None:
    folder = Path(info["folder"])
    cols = st.columns(3)
    if info["result"]:
        cols[0].download_button("Download the image (PNG)", Path(info["result"]).read_bytes(),
                                file_name=f"{folder.name}.png", mime="image/png", key=f"{key}_png",
                                on_click="ignore", type="primary", icon=":material/download:")
    if (folder / "params.json").exists():
        data = (folder / "params.json").read_bytes() if own else \
            json.dumps(public_params(info["params"]), indent=2, default=str).encode()
        cols[1].download_button("params.json", data, file_name=f"{folder.name}_params.json",
                                mime="application/json", key=f"{key}_params", on_click="ignore")
    if (folder / "losses.csv").exists():
        cols[2].download_button("losses.csv", (folder / "losses.csv").read_bytes(),
                                file_name=f"{folder.name}_losses.csv", mime="text/csv",
                                key=f"{key}_losses", on_click="ignore")


def earlier_runs() -> None:
    """This session's earlier runs (or, with a shared gallery, everyone's), newest first: thumbnails,
    then one run in detail."""
    shared = shared_gallery()
    st.subheader("Earlier runs" if not shared else "Earlier runs: the class gallery")
    mine = set(session_box()["mine"])
    me = session_id()
    runs = list(reversed(existing_runs(data_dir())))
    if not shared:
        runs = [p for p in runs if str(p) in mine]
    infos = [read_run(p) for p in runs[:200]]
    if not shared:
        infos = [i for i in infos if is_mine(i, mine, me)]
    if shared and infos:
        only_mine = st.toggle("Only my runs (this browser session)", key="studio_only_mine", value=False)
        if only_mine:
            infos = [i for i in infos if is_mine(i, mine, me)]
    if not infos:
        st.caption("No runs yet in this browser session. Each run is kept in its own gen_N folder with "
                   "result.png, params.json and losses.csv" +
                   ("; everyone's runs appear here." if shared else
                    "; this list shows your own runs only (the teacher can switch on a shared gallery)."))
        return
    if not shared:
        st.caption("Your runs in this browser session (other people's runs are private).")
    else:
        st.caption("Everyone's runs on this server; names of uploaded pictures are shown only to "
                   "the session that uploaded them.")
    own = {str(i["folder"]): is_mine(i, mine, me) for i in infos}
    thumbs = [i for i in infos if i["result"]][:8]
    if thumbs:
        cols = st.columns(8)
        for col, info in zip(cols, thumbs):
            col.image(str(info["result"]), caption=info["folder"].name, width="stretch")
    labels = {describe(i, own[str(i["folder"])]): i for i in infos}
    choice = st.selectbox("Open a run", list(labels), key="studio_open_run")
    info = labels[choice]
    is_own = own[str(info["folder"])]
    params = info["params"] if is_own else public_params(info["params"])
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
    downloads(info, "studio_dl_earlier", own=is_own)
    if media.frame_files(Path(info["folder"])) and st.toggle("Play its timelapse", key="studio_tl_earlier_on"):
        timelapse(info, "studio_tl_earlier")
