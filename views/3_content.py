"""3. Content: what a layer keeps, the content loss, and reconstructions from one layer alone."""
import numpy as np
import streamlit as st

from nst import images as imgs
from nst import lessons, viz
from nst.weights import LAYERS
from ui.common import features_or_stop
from ui.walkthrough import (LAYER_NOTES, RECON_TV, content_comparison, content_reconstructions, layer_select,
                             page_picture, pixels_key, reconstruction_sizes, remember, remembered, show_heatmaps,
                             show_images)

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

image, name, picture = page_picture("Content image c (photo)", "content", "content_image",
                                    "Working size (px)", "content_size", 128,
                                    "Longest side of c and g; smaller is faster.")

layer = layer_select("Content layer l", key="content_layer", default="block3_conv3",
                     help="The article uses its top-most layer, block3_conv3; Gatys et al. use block4_conv2.")
if layer in LAYER_NOTES:
    st.caption(f"{layer}: {LAYER_NOTES[layer]}")

# --- c against a changed copy g ------------------------------------------------------
st.subheader("c against a changed copy g")
st.markdown(
    "The content loss asks, **position by position**, whether g's features fire where c's do. It does not ask "
    "whether the two pictures show the same thing: a copy moved by a few pixels shows exactly the same scene, "
    "but its features sit a few positions away.")
change_col, amount_col = st.columns([3, 2])
change = change_col.radio("Make g from c by", ["shift", "noise", "upside down", "same"], horizontal=True,
                          key="content_change", persist_state="session")
amount = 0.0
if change == "noise":
    amount = amount_col.slider("noise std (grey levels)", 0, 100, 40, 5, key="content_noise", persist_state="session")
elif change == "shift":
    amount = amount_col.slider("shift (px)", 0, 32, 4, 1, key="content_shift", persist_state="session")
try:
    if change == "shift":
        # two crops of the picture, the second moved: no wrapped-around seam, no artificial edge
        content, generated = lessons.shifted_pair(picture, int(amount))
    else:
        content, generated = picture, lessons.perturb(picture, change, amount)
    result = content_comparison(content, generated, tuple(LAYERS))
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

a_c, a_g = result["content"][layer], result["generated"][layer]
loss = result["loss"][layer]
img_c, img_g, metric_col = st.columns([1, 1, 1.3])
img_c.image(content, caption=f"c: {name}" + (f" (cropped by {int(amount)} px)" if change == "shift" and amount else ""),
            width="stretch")
img_g.image(generated, caption=("g: the same scene moved " f"{int(amount)} px right and down" if change == "shift"
                                else f"g: c, {change}" + (f" {amount:g}" if change == "noise" else "")),
            width="stretch")
with metric_col:
    st.metric(f"L_content at {layer}", f"{loss:.4g}")
    st.metric("relative to the size of A^l(c)", f"{result['relative'][layer]:.1%}",
              help="L_content divided by the mean of A^l(c)^2, so layers of different scale compare. "
                   "100% is what a g with no activity at all would score.")
if change == "shift":
    st.caption("For a shift, c and g are two crops of your picture, g taken a few pixels further up and left, so "
               "it shows the scene moved right and down; neither has an edge the picture did not have.")

strongest = [int(i) for i in lessons.strongest_maps(a_c, 64)]
pick = st.selectbox("Feature map i (the 64 most active for c, strongest first)", strongest, index=0,
                    key="content_map")
diff = a_g[..., pick] - a_c[..., pick]
show_heatmaps([a_c[..., pick], a_g[..., pick], diff],
              [f"A<sup>l</sup><sub>{pick}</sub>(c)", f"A<sup>l</sup><sub>{pick}</sub>(g)",
               f"A<sup>l</sup><sub>{pick}</sub>(g) − A<sup>l</sup><sub>{pick}</sub>(c)"],
              key="content_maps", diverging=[False, False, True], value_name="A", height=280)
st.caption(f"Hover a cell for its value. The third map, g − c: {viz.DIFF_NAMES['above']} where g fires more than c, "
           f"{viz.DIFF_NAMES['below']} where less; the content loss is the mean of its squares over all maps.")

st.markdown("**Relative content loss at every layer: which layers notice this change?**")
st.plotly_chart(viz.layer_bars(result["relative"], highlight=layer, kind="content",
                               yaxis="L_content / mean A(c)²"),
                width="stretch", key="content_layers", config={"displayModeBar": False})
rel = result["relative"]
if change != "same":
    early = [v for k, v in rel.items() if k.startswith(("block1", "block2"))]
    late = [v for k, v in rel.items() if k.startswith("block5")]
    top, low = max(rel, key=rel.get), min(rel, key=rel.get)
    st.caption(f"For this g: the relative loss is highest at {top} ({rel[top]:.0%}) and lowest at {low} "
               f"({rel[low]:.0%}); blocks 1-2 average {sum(early) / len(early):.0%}, block 5 "
               f"{sum(late) / len(late):.0%}.")
if change == "shift" and amount:
    k = int(amount)
    st.info(
        f"**Why a {k} px shift costs a lot early and less deep.** A position of block 1 is one pixel, so at "
        f"block 1-2 every edge of g lies {k} positions away from c's: where c has an edge g has none, and the "
        "other way round, and the loss counts both. After each pooling a position covers more pixels (2 in "
        f"block 2, 4 in block 3, 8 in block 4, 16 in block 5), so the same {k} px is a smaller part of a "
        f"position and a deep feature (an eye, a patch of fur) still fires in nearly the same place. Shallow "
        "layers measure exact pixels; deep ones measure what is roughly where, which is why the content loss "
        "of style transfer lives deep.", icon=":material/lightbulb:")
with st.expander("What to look for"):
    st.markdown(
        "- **A shift** of a few px: blocks 1-2 see a different picture, deep layers much less (the box above "
        "says why).\n"
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
r1, r2, r3 = st.columns([3, 1, 1])
recon_layers = r1.multiselect("Layers to reconstruct from", list(LAYERS),
                              default=["block1_conv1", "block3_conv1", "block4_conv2"], key="content_recon_layers",
                              max_selections=5, persist_state="session",
                              help="Any of the 13 conv layers; block4_conv2 is Gatys et al.'s content layer.")
recon_size = r2.select_slider("Size (px)", [192, 256], value=192, key="content_recon_size", persist_state="session")
iterations = r3.select_slider("L-BFGS iterations", [40, 60, 100, 150], value=60, key="content_recon_iters",
                              persist_state="session")
layers = [l for l in LAYERS if l in recon_layers]  # in network order
smooth = st.toggle(f"Light smoothing (λ_tv = {viz.fmt(RECON_TV)})", value=True, key="content_recon_smooth",
                   persist_state="session",
                   help="A small total-variation term: where a deep layer leaves pixels free, they stay smooth "
                        "instead of filling with fine noise. Gatys et al. used none; switch it off to compare.")
sizes = reconstruction_sizes(recon_size, iterations)
params = (pixels_key(picture), tuple(layers), recon_size, iterations, smooth)
go = st.button("Reconstruct", type="primary", key="content_recon_go", disabled=not layers)
if go:
    remember("content_recon", params)
if not layers:
    st.caption("Pick at least one layer.")
elif not remembered("content_recon", params):
    st.caption(f"{len(layers)} runs of {iterations} L-BFGS iterations from noise, coarse to fine "
               f"({', '.join(map(str, sizes))} px), with a progress bar; a deep layer takes longest (about half a "
               "minute on two cores). Results are kept, so showing them again is instant.")
else:
    source = imgs.resize_to(image, recon_size)
    try:
        results = content_reconstructions(source, layers, recon_size, iterations, smooth)
    except (imgs.ImageError, ValueError) as exc:
        st.error(str(exc))
        st.stop()
    acts = content_comparison(source, source, tuple(layers))["content"]
    energy = {l: float(np.mean(np.square(acts[l]))) for l in layers}
    show_images([source] + [r[0] for r in results],
                ["c"] + [f"{l} · {r[1] / energy[l]:.1%} left" if energy[l] > 0 else f"{l} · L = {r[1]:.3g}"
                         for l, r in zip(layers, results)])
    st.caption(f"Each from the same noise, {iterations} L-BFGS iterations spread over {len(sizes)} sizes "
               f"({', '.join(map(str, sizes))} px)" + (", with light smoothing" if smooth else "") +
               ". \"left\": the final L_content divided by mean A^l(c)², the same relative "
               "measure as the bars above. The low layers give back the picture almost exactly. The deep ones "
               "give back its arrangement (where the eyes, edges and regions are) but not its colours or "
               "pixels: many pictures have nearly the same deep activations, and the optimiser finds one of "
               "them.")
