"""2. Inside VGG-16: the feature maps of any layer for any picture; average vs max pooling."""
import streamlit as st

from nst import images as imgs
from nst import lessons, viz
from ui.common import features_or_stop
from ui.walkthrough import (LAYER_NOTES, activations, layer_maps_or_stop, layer_select, pooling_stylisation,
                             page_picture, working_copy)
from ui.pictures import current as current_picture

st.title("2 · Inside VGG-16: what each layer sees")
st.markdown(
    "VGG-16 has 13 conv layers in 5 blocks; between blocks a 2x2 pooling halves the picture. "
    "Each layer $l$ turns the picture into $C_l$ **feature maps** $A^l_i$, one per filter: a map is bright "
    "where its filter finds its pattern. Early layers find edges and colours, deep ones find parts of objects, "
    "on a coarser grid.")

features_or_stop()

image, name, picture = page_picture("Picture (content photo)", "content", "vgg_image",
                                    "Picture size (longest side, px)", "vgg_size", 160,
                                    "Smaller is faster; block 5 sees the picture at 1/16 of this.")

layer = layer_select("Layer l", key="layer", default="block3_conv1")
block = lessons.block_of(layer)
maps = layer_maps_or_stop(picture, layer)

h, w, c = maps.shape
note = f" ({LAYER_NOTES[layer]})" if layer in LAYER_NOTES else ""
st.markdown(f"**{layer}**{note}: **{c} feature maps** of **{w} x {h}** positions "
            f"(width x height; the {picture.shape[1]} x {picture.shape[0]} px picture after {block - 1} poolings). "
            f"$A^l$ has shape $(H_l, W_l, C_l) = ({h}, {w}, {c})$.")

controls = st.columns([2, 2, 3])
count = controls[0].select_slider("Maps shown", [8, 16, 32, 64], value=16, key="vgg_count", persist_state="session")
count = min(count, c)
order = controls[1].radio("Order", ["strongest first", "by index"], key="vgg_order", persist_state="session", horizontal=True)
shared = controls[2].toggle("One colour scale for all maps", value=False, key="vgg_shared", persist_state="session",
                            help="On: compare how strongly maps fire. Off: see each map's own pattern.")
indices = lessons.strongest_maps(maps, count) if order == "strongest first" else list(range(count))

left, right = st.columns([1, 4])
with left:
    st.image(picture, caption=f"{name}, {picture.shape[1]} x {picture.shape[0]} px", width="stretch")
    dead = int((maps.reshape(-1, c).max(axis=0) <= 0).sum())
    st.markdown(f"**{dead} of {c}** maps are silent (zero everywhere) for this picture.",
                help="After the ReLU a map is zero wherever its filter does not respond; some never do here.")
with right:
    st.plotly_chart(viz.feature_grid(maps, indices, cols=8, shared_scale=shared), width="stretch",
                    key="vgg_grid", config={"displayModeBar": False})
st.caption("Hover a cell for its activation A. 'strongest first' sorts maps by their mean activation.")

# --- pooling -------------------------------------------------------------------
st.subheader("Average vs max pooling")
st.markdown(
    "Between blocks, VGG-16 was trained with **max** pooling (keep the largest of each 2x2 window). "
    "The article and Gatys et al. swap in **average** pooling (keep the mean), which passes smoother "
    "gradients back to g and gives more pleasing images.")
ex1, ex2 = st.columns([2, 3], vertical_alignment="center")
ex1.latex(r"\begin{bmatrix}1 & 3\\ 0 & 8\end{bmatrix} \;\to\; \underbrace{3}_{\text{average}}"
          r"\quad\text{or}\quad \underbrace{8}_{\text{max}}")
ex2.markdown(
    "One 2x2 window of activations becomes **3** with average pooling and **8** with max pooling. Max keeps only "
    "the strongest response, and its gradient flows back to **one** pixel of the four; average lets all four "
    "share it, so every pixel of g is told how to change.")

try:
    style_rgb, style_name = current_picture("style")
    small_c = working_copy(image, 128)
    small_s = working_copy(style_rgb, 128)
    with st.spinner("The same short stylisation twice, with average and with max pooling (kept for everyone)..."):
        styled = {p: pooling_stylisation(small_c, small_s, p) for p in ("avg", "max")}
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()
st.markdown(f"**Shown, not said:** {name} in the style of {style_name}, 30 L-BFGS iterations at 128 px, the "
            "same settings except the pooling.")
sc = st.columns(3)
sc[0].image(small_s, caption=f"s: {style_name}, the walkthrough's style picture", width="stretch")
sc[1].image(styled["avg"], caption="average pooling", width="stretch")
sc[2].image(styled["max"], caption="max pooling", width="stretch")
st.caption("With max pooling the gradient reaches only the strongest pixel of each window, so the result is usually "
           "patchier and noisier; with average pooling it is smoother. Change the style picture on page 4 or 6.")

if block == 1:
    st.info(f"{layer} is in block 1, before any pooling, so its maps are the same with both. "
            "Pick a layer in block 2 or deeper to see the difference in the maps.", icon=":material/info:")
try:
    maps_avg = activations(picture, (layer,), pooling="avg")[layer]
    maps_max = activations(picture, (layer,), pooling="max")[layer]
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()
few = list(lessons.strongest_maps(maps_avg, 4))
pool_cols = st.columns(2)
with pool_cols[0]:
    st.markdown(f"**average pooling**: {layer}'s 4 strongest maps")
    st.plotly_chart(viz.feature_grid(maps_avg, few, cols=2, shared_scale=False, cell_px=160), width="stretch",
                    key="vgg_avg", config={"displayModeBar": False})
with pool_cols[1]:
    st.markdown("**max pooling**: the same 4 maps")
    st.plotly_chart(viz.feature_grid(maps_max, few, cols=2, shared_scale=False, cell_px=160), width="stretch",
                    key="vgg_max", config={"displayModeBar": False})
mean_avg, mean_max = float(maps_avg.mean()), float(maps_max.mean())
m1, m2 = st.columns(2)
m1.metric("mean activation, average pooling", f"{mean_avg:.3g}")
m2.metric("mean activation, max pooling", f"{mean_max:.3g}",
          delta=f"{(mean_max / mean_avg - 1) * 100:+.0f}%" if mean_avg > 0 else None, delta_color="off")
st.caption("Max pooling passes on the largest value of each window, so deeper layers see larger activations; "
           "average pooling passes on a smoother picture, which is why the maps look softer with it.")
