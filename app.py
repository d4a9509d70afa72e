"""Entry point: `streamlit run app.py`. One page per concept (views/; not pages/, so Streamlit's legacy folder router never runs a page without this entry point), a shared sidebar.

The VGG-16 network is loaded once per server process (st.cache_resource in
ui/common.py) and shared by every browser session and page.
"""
from pathlib import Path

import streamlit as st

from ui import common

# "auto": open on a desktop, closed on a phone or small tablet (where it would cover the page on load)
st.set_page_config(page_title="Neural style transfer, taught", page_icon="🎨", layout="wide",
                   initial_sidebar_state="auto")
common.responsive_css()

PAGES = [  # file, title, icon: the walkthrough in order
    ("views/1_why.py", "Why style transfer", ":material/lightbulb:"),
    ("views/2_inside_vgg.py", "Inside VGG-16", ":material/layers:"),
    ("views/3_content.py", "Content", ":material/image:"),
    ("views/4_style_gram.py", "Style & the Gram matrix", ":material/grid_on:"),
    ("views/5_dog.py", "The dog and the upside-down dog", ":material/pets:"),
    ("views/6_loss_playground.py", "Loss playground", ":material/tune:"),
    ("views/7_studio.py", "Studio", ":material/palette:"),
]
HERE = Path(__file__).resolve().parent

page = st.navigation([st.Page(path, title=title, icon=icon)
                      for path, title, icon in PAGES if (HERE / path).is_file()])

with st.sidebar:
    st.markdown("**Neural style transfer**  \nGatys, Ecker & Bethge (2015), run for real on VGG-16.")
    status = st.empty()
    try:
        net = common.features()  # cached: only the first visitor of a fresh server waits
    except Exception as exc:  # WeightsUnavailable or a broken install: one sentence, the pages still open
        status.error(f"VGG-16 could not be loaded: {exc}")
    else:
        params = sum(w.size + b.size for w, b in net.weights.kernels.values())
        status.success(f"Network loaded: VGG-16, {len(net.layers)} conv layers, "
                       f"{params / 1e6:.1f} M weights, shared by everyone on this server.",
                       icon=":material/check_circle:")
    common.sidebar_weights_note(common.WEIGHTS)

page.run()
