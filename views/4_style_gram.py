"""4. Style and the Gram matrix: G^l cell by cell, and textures made from Gram matrices alone."""
import hashlib
import streamlit as st

from nst import images as imgs
from nst import lessons, viz
from nst.config import GATYS_STYLE_LAYERS
from nst.viz import fmt
from ui.common import features_or_stop
from ui.walkthrough import (layer_maps_or_stop, layer_select, page_picture, reconstruction_settings, show_heatmaps,
                             show_images, style_reconstructions_on_button)

st.title("4 · Style and the Gram matrix")
st.markdown(
    "Style is *which features occur together*, wherever they are. For each layer $l$, the **Gram matrix** "
    "multiplies feature maps $i$ and $j$ position by position and adds up over all positions $k$:")
st.latex(r"G^l_{ij} = \frac{1}{M_l} \sum_{k=1}^{M_l} F^l_{ik} F^l_{jk}")
st.latex(r"E_l = \frac{1}{C_l^2} \sum_{i,j} \left(G^l_{ij}(g) - G^l_{ij}(s)\right)^2")
st.latex(r"L_{style} = \sum_l w_l E_l")
st.caption("$F^l_{ik}$ is $A^l$ with the positions flattened: map $i$ at position $k$, $M_l = H_l W_l$. "
           "Dividing by $M_l$ makes one picture at two sizes give comparable Gram matrices; $E_l$ is the mean "
           "over the $C_l^2$ entries, which is 4x Gatys et al.'s $\\frac{1}{4 N_l^2 M_l^2}\\sum(G - A)^2$ once "
           "$M_l$ is in $G$. The summing over $k$ throws away *where*: that is the whole trick.")

features_or_stop()

image, name, picture = page_picture("Style image s (painting)", "style", "gram_image",
                                    "Working size (px)", "gram_size", 128, "Longest side of s; smaller is faster.")

layer = layer_select("Layer l", key="style_layer", default="block2_conv1")
maps = layer_maps_or_stop(picture, layer)
h, w, c = maps.shape
gram = lessons.gram(maps)

count = st.select_slider("Feature maps in the heatmap (most active first)", [8, 16, 24, 32, 48, 64],
                         value=24, key="gram_count", persist_state="session")
shown = [int(i) for i in lessons.strongest_maps(maps, min(count, c))]

# The picked cell (i, j): reset to the most striking pair when the picture or the layer changes;
# a click on the heatmap also picks a cell.
context = (layer, hashlib.md5(picture.tobytes()).hexdigest(), count)
if st.session_state.get("_gram_context") != context:
    st.session_state["_gram_context"] = context
    st.session_state["gram_i"], st.session_state["gram_j"] = lessons.largest_off_diagonal(gram, shown)
click = st.session_state.get("gram_chart")
points = (click or {}).get("selection", {}).get("points", []) if click else []
if points:
    picked = (int(points[0]["y"]), int(points[0]["x"]))
    if st.session_state.get("_gram_click") != picked:
        st.session_state["_gram_click"] = picked
        st.session_state["gram_i"], st.session_state["gram_j"] = picked
for key in ("gram_i", "gram_j"):
    st.session_state[key] = min(max(0, int(st.session_state[key])), c - 1)

left, right = st.columns([1, 2], gap="medium")
with left:
    st.image(picture, caption=f"s: {name}", width="stretch")
    st.markdown(f"**{layer}**: $C_l = {c}$ maps of $M_l = {h} \\times {w} = {h * w}$ positions, "
                f"so $G^l$ is ${c} \\times {c}$. The heatmap shows the rows and columns of the {len(shown)} "
                "most active maps.")
    i = st.number_input("i (feature map)", 0, c - 1, key="gram_i")
    j = st.number_input("j (feature map)", 0, c - 1, key="gram_j")
    st.caption("Or click a cell of the heatmap.")
with right:
    st.plotly_chart(viz.gram_heatmap(gram[shown][:, shown], labels=shown, highlight=(i, j),
                                     title=f"G<sup>l</sup> at {layer} (the {len(shown)} most active maps)",
                                     height=430, clickable=True),
                    width="stretch", key="gram_chart", on_select="rerun", selection_mode="points")

cell = lessons.gram_cell(maps, int(i), int(j))
st.subheader(f"How $G_{{{i},{j}}}$ is made")
show_heatmaps([cell["F_i"], cell["F_j"], cell["product"]],
              [f"F<sub>{i}</sub>: map i", f"F<sub>{j}</sub>: map j", f"F<sub>{i}</sub> × F<sub>{j}</sub>"],
              key="gram_cell_maps", value_name="value", height=270)
st.caption(f"The third map is the first two multiplied position by position: bright only where maps {i} and "
           f"{j} both fire. Its sum over all positions, divided by M_l, is G_ij.")
same = abs(cell["by_hand"] - cell["gram"]) <= 1e-4 * max(1.0, abs(cell["gram"]))
n1, n2, n3 = st.columns(3)
n1.metric("sum over all positions k", fmt(cell['sum']))
n2.metric(f"÷ M_l = {cell['M']}", fmt(cell['by_hand']))
n3.metric("G_ij in the Gram matrix above", fmt(cell['gram']),
          help="The entry of the whole matrix, computed in one matrix product by the same loss code the "
               "optimiser uses.")
st.caption(f"By hand and in the matrix: {'the same number' if same else 'not the same: please report this'}.")
st.markdown(
    "A **large** $G_{ij}$: maps $i$ and $j$ fire strongly at the *same places* (the product is bright). "
    "A diagonal entry $G_{ii}$ is how much map $i$ fires at all. Nothing in $G$ says *where* that happens: "
    "move the bright spots around and the sum stays the same (page 5 shows this with the dog).")

# --- style reconstructions -----------------------------------------------------------------
st.subheader("A texture from Gram matrices alone (Gatys et al., Figure 1)")
st.markdown(
    "Start g as **noise** and change it until its Gram matrices match those of s, with $\\alpha = 0$ "
    "(no content) and uniform $w_l$, on a growing set of layers. One layer gives colour and fine grain; "
    "adding deeper layers brings larger and larger structures of the style, but never its layout.")
recon_size, iterations = reconstruction_settings("gram")
sets = lessons.growing_layer_sets(GATYS_STYLE_LAYERS)
labels = ["block1_conv1"] + [f"+ {s[-1]}" for s in sets[1:]]
params = (context[1], picture.shape, recon_size, iterations)
results = style_reconstructions_on_button(picture, sets, labels, recon_size, iterations, params,
                                         "Reconstruct the style from 1, 2, ... 5 layers", "gram_recon")
if results is not None:
    show_images([imgs.resize_to(picture, recon_size)] + [r[0] for r in results], ["s"] + labels)
    st.caption(f"Each from noise, {iterations} L-BFGS iterations at {recon_size} px; the layer sets grow "
               "from one picture to the next (block1_conv1, then + block2_conv1, ...).")
