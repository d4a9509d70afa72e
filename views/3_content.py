"""3. Content: what a layer keeps, the content loss, and reconstructions from one layer alone."""
import hashlib
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `streamlit run views/3_content.py` on its own
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from nst import images as imgs  # noqa: E402
from nst import lessons, viz  # noqa: E402
from nst.weights import LAYERS  # noqa: E402
from ui.common import features_or_stop  # noqa: E402
from ui.lessons import (LAYER_NOTES, content_comparison, layer_select, reconstruction_settings,  # noqa: E402
                        reconstructions_on_button, show_images, sidebar_picture)

st.title("3 · Content: what a layer remembers")
st.markdown(
    "Two pictures with the same content should make the same activations in a deep layer. "
    "So the **content loss** compares the activations of the generated image g with those of the "
    "content image c at one layer $l$, position by position:")
st.latex(r"L^l_{content}(c, g) = \frac{1}{C_l M_l} \sum_{i=1}^{C_l} \sum_{j=1}^{M_l} "
         r"\left(A^l_{ij}(g) - A^l_{ij}(c)\right)^2")
st.caption("$C_l$ feature maps, $M_l = H_l W_l$ positions: the *mean* squared difference. The article calls it a "
           "root mean squared error; without the root the gradient is simpler and the minimum the same.")

features_or_stop()

image, name, picture = sidebar_picture("Content image c", "Content image c", "content", "content_image",
                                       "Working size (px)", "content_size", 128,
                                       "Longest side of c and g; smaller is faster.")

layer = layer_select("Content layer l", key="content_layer", default="block3_conv3",
                     help="The article uses its top-most layer, block3_conv3; Gatys et al. use block4_conv2.")
if layer in LAYER_NOTES:
    st.caption(f"{layer}: {LAYER_NOTES[layer]}")

# --- c against a changed copy g ------------------------------------------------------
st.subheader("c against a changed copy g")
change_col, amount_col = st.columns([3, 2])
change = change_col.radio("Make g from c by", ["shift", "noise", "upside down", "same"], horizontal=True,
                          key="content_change", persist_state="session")
amount = 0.0
if change == "noise":
    amount = amount_col.slider("noise std (grey levels)", 0, 100, 40, 5, key="content_noise", persist_state="session")
elif change == "shift":
    amount = amount_col.slider("shift (px)", 0, 32, 4, 1, key="content_shift", persist_state="session")
generated = lessons.perturb(picture, change, amount)

try:
    result = content_comparison(picture, generated, tuple(LAYERS))
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

a_c, a_g = result["content"][layer], result["generated"][layer]
loss = result["loss"][layer]
img_c, img_g, metric_col = st.columns([1, 1, 1.3])
img_c.image(picture, caption=f"c: {name}", width="stretch")
img_g.image(generated, caption=f"g: c, {change}" + (f" {amount:g}" if change in ("noise", "shift") else ""),
            width="stretch")
with metric_col:
    st.metric(f"L_content at {layer}", f"{loss:.4g}")
    st.metric("relative to the size of A^l(c)", f"{result['relative'][layer]:.1%}",
              help="L_content divided by the mean of A^l(c)^2, so layers of different scale compare.")

strongest = [int(i) for i in lessons.strongest_maps(a_c, 64)]
pick = st.selectbox("Feature map i (the 64 most active for c, strongest first)", strongest, index=0,
                    key="content_map")
diff = a_g[..., pick] - a_c[..., pick]
st.plotly_chart(viz.heatmap_row([a_c[..., pick], a_g[..., pick], diff],
                                [f"A<sup>l</sup><sub>{pick}</sub>(c)", f"A<sup>l</sup><sub>{pick}</sub>(g)",
                                 f"A<sup>l</sup><sub>{pick}</sub>(g) − A<sup>l</sup><sub>{pick}</sub>(c)"],
                                diverging=[False, False, True], value_name="A", height=280),
                width="stretch", key="content_maps")
st.caption("Hover a cell for its value. Red: g fires more than c there; blue: less.")

st.plotly_chart(viz.layer_bars(result["relative"], highlight=layer, kind="content",
                               title="Relative content loss at every layer: which layers notice this change?",
                               yaxis="L_content / mean A(c)^2"),
                width="stretch", key="content_layers")
rel = result["relative"]
if change != "same":
    early = [v for k, v in rel.items() if k.startswith(("block1", "block2"))]
    late = [v for k, v in rel.items() if k.startswith("block5")]
    top, low = max(rel, key=rel.get), min(rel, key=rel.get)
    st.caption(f"For this g: the relative loss is highest at {top} ({rel[top]:.0%}) and lowest at {low} "
               f"({rel[low]:.0%}); blocks 1-2 average {sum(early) / len(early):.0%}, block 5 "
               f"{sum(late) / len(late):.0%}.")
with st.expander("What to look for"):
    st.markdown(
        "- **A shift** of a few px: the early layers' features land on other positions, so blocks 1-2 see "
        "a different picture (relative loss near 1). A block-5 position covers 16 x 16 pixels, so deep layers "
        "change less. Deep layers keep *what* is where more than the exact pixels: that is why the content "
        "loss lives there.\n"
        "- **Noise** is noticed by every layer; which ones most depends on the picture and the amount "
        "(the bars and the line above say it for this one).\n"
        "- **Upside down** keeps every pixel but moves it: a large content loss at every layer. "
        "(Page 5 shows what it does to the *style* loss.)")

# --- reconstructions -------------------------------------------------------------------
st.subheader("Reconstruct c from one layer alone (Gatys et al., Figure 1)")
st.markdown(
    "Start g as **noise** and change it until $A^l(g) = A^l(c)$ at a single layer, with $\\alpha = 1$, "
    "$\\beta = 0$ (no style). What comes back is what that layer keeps: low layers return the picture "
    "almost exactly; high layers keep the objects and their arrangement but lose exact colours and pixels.")
recon_size, iterations = reconstruction_settings("content")
layers = list(lessons.RECONSTRUCTION_LAYERS)
digest = hashlib.md5(picture.tobytes()).hexdigest()
params = (digest, picture.shape, recon_size, iterations)
results = reconstructions_on_button("content", picture, layers, layers, recon_size, iterations, params,
                                   "Reconstruct from block1_conv1 ... block5_conv1", "content_recon")
if results is not None:
    small = imgs.resize_to(picture, recon_size)
    acts = content_comparison(small, small, tuple(layers))["content"]
    energy = {l: float(np.mean(np.square(acts[l]))) for l in layers}
    show_images([small] + [r[0] for r in results],
                ["c"] + [f"{l} · {r[1] / energy[l]:.1%} left" if energy[l] > 0 else f"{l} · L = {r[1]:.3g}"
                         for l, r in zip(layers, results)])
    st.caption(f"Each from noise, {iterations} L-BFGS iterations at {recon_size} px. \"left\": the final "
               "L_content divided by mean A^l(c)², the same relative measure as the bars above, so layers "
               "compare. The low layers end with almost nothing left and give back the picture; the deep ones "
               "keep a few percent to a tenth and give back a different picture, because many pictures "
               "have nearly the same deep activations. (Gatys et al. ran many more "
               "iterations at full size: deeper layers would sharpen a little, but never return the exact "
               "pixels.)")
