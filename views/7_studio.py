"""Studio: run neural style transfer for real, watch every loss term fall, stop at any time, download.

The settings live in the link (ui.link, with nst.link's codec), so a teacher can share a preset.
Every run is recorded in data/gen_N (result.png, params.json, losses.csv, its frames).
"""
import streamlit as st

from ui import studio


st.title("7 · Studio: run it, watch it, keep it")
st.markdown(
    "The generated image **g** starts from the content image (or noise) and is changed, pixel by pixel, "
    "to lower **L = α·L_content + β·L_style**: stay close to the content image's activations at the "
    "content layers, and match the style image's **Gram matrices** at the style layers. "
    "VGG-16 itself never changes; only g does.")

state = st.session_state
studio.wait_for_previous_run()
running = bool(state.pop("studio_go", False))
sweeping = bool(state.pop("studio_go_sweep", False))
busy = running or sweeping

settings, inputs = studio.settings_panel(disabled=busy)
try:
    config = studio.build_config(settings).validate()
except ValueError as exc:
    config = None
    st.error(str(exc))

buttons = st.columns([1, 1, 5], vertical_alignment="center")
buttons[0].button("Run", type="primary", key="studio_run", on_click=studio.request_run,
                  disabled=busy or config is None, icon=":material/play_arrow:", width="stretch")
buttons[1].button("Stop", key="studio_stop", on_click=studio.request_stop, disabled=not busy,
                  icon=":material/stop:", width="stretch",
                  help="Ends the run (or the sweep) after the current iteration and keeps the last image.")
with buttons[2]:
    studio.queue_line()

area = {"status": st.empty(), "progress": st.empty()}
left, right = st.columns([2, 3])
with left:
    area["image"] = st.empty()
    area["timelapse"] = st.empty()
with right:
    area["loss"] = st.empty()
    area["layers"] = st.empty()
st.caption("Normalisation: L_content = Σ over the content layers of mean (A(g) − A(c))²; G = FᵀF / M "
           "(M positions); E_l = mean (G(g) − G(s))²; L_style = Σ w_l·E_l; with 'normalise' (on in deep) each "
           "layer's term is divided by the size of its target, mean A(c)² or mean G(s)². In the charts x is the iteration and y is on a log scale. "
           "With 2 or more scales the curves jump at the dashed line, where the image is enlarged for the next, "
           "finer scale: the losses are then measured on more, finer detail, and fall again.")

if running and config is not None:
    studio.run(config, inputs, area)
    st.rerun()
elif studio.session_box()["result"] and not sweeping:
    studio.show_result(studio.session_box()["result"], area)
elif not sweeping:
    area["image"].info("Press **Run**: the image will appear here as it forms, with its loss curves beside it.")

st.divider()
if studio.sweep.section(settings, config, inputs, start=sweeping and config is not None, busy=busy):
    st.rerun()

st.divider()
studio.earlier_runs()
