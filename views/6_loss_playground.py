"""6. The loss playground: move alpha, beta, w_l and the tv weight; watch every term of L."""
import pandas as pd
import streamlit as st

from nst import images as imgs
from nst import lessons, viz
from nst.viz import fmt
from nst.config import SETTINGS, W_L
from ui import link
from ui.common import features_or_stop
from ui.walkthrough import loss_inputs, pictures_panel, preset_picker, stylised_preview, working_copy

POWERS = ["0", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1", "10", "100", "1e3", "1e4", "1e5"]
TV_POWERS = ["0", "1e-4", "1e-3", "1e-2", "1e-1", "1", "10", "100"]
W_STEPS = [round(0.1 * k, 1) for k in range(0, 31)]
G_CHOICES = ["content c", "noise", "style s", "stylised preview"]


def default(options: list[str], name: str) -> str:
    """The option that is the setting's default in the settings table (the article's: alpha 1, beta 1e-3)."""
    return next(option for option in options if float(option) == SETTINGS[name].default)


def tex(value: float) -> str:
    """A number for st.latex, written as nst.viz.fmt writes it everywhere else (57410; 4.668 \\times 10^{-5})."""
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return fmt(value)
    mantissa, exponent = f"{value:.3e}".split("e")
    return rf"{float(mantissa):.4g} \times 10^{{{int(exponent)}}}"


st.title("6 · The loss playground")
st.markdown(
    "Every term of the total loss for one generated image g, **before anything is optimised**. The network "
    "runs once; moving a slider only re-weighs the terms, so the bars follow at once. The optimiser "
    "(page 7) will push g to wherever the **total** is smallest, so whichever weighted term is biggest is "
    "what it works on first.")
st.latex(r"L = \alpha\, L_{content} + \beta \sum_l w_l E_l + \lambda_{tv} L_{tv}")

features_or_stop()

[(content, content_name), (style, style_name)], size = pictures_panel(
    [("Content image c (photo)", "content", "play_content"), ("Style image s (painting)", "style", "play_style")],
    "Working size (px)", "play_size", 128, "Longest side of c, s and g; smaller is faster.", sizes=(96, 128, 160))

preset_name, preset = preset_picker()
if preset.style_loss != "gram" or preset.normalize:
    st.caption(f"Here only {preset_name}'s layers are used: the terms below are the article's, Gram matrices and "
               "plain sums, so that every number can be followed by hand.")
content_layers, style_layers = tuple(preset.content_layers), tuple(preset.style_layers)

c = working_copy(content, size)
s = working_copy(style, size)
which = link.choice(st.radio, "The generated image g is", G_CHOICES, key="g", default=G_CHOICES[0],
                    horizontal=True,
                    help="'stylised preview' runs 30 L-BFGS steps once with the preset's default weights.")
try:
    if which == "content c":
        g = c
    elif which == "noise":
        g = lessons.noise_image(c.shape)
    elif which == "style s":
        g = imgs.center_crop_to_aspect(s, *c.shape[:2])
    else:
        g = stylised_preview(c, s, preset_name)
    inputs = loss_inputs(g, c, s, content_layers, style_layers)
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

# --- the weights ---------------------------------------------------------------------------------
sliders, pictures = st.columns([3, 2], gap="large")
with sliders:
    # the settings table's labels, help, defaults and link keys: ?beta=0.001 means the same in the studio
    alpha = float(link.setting_choice(st.select_slider, "alpha", POWERS, default=default(POWERS, "alpha")))
    beta = float(link.setting_choice(st.select_slider, "beta", POWERS, default=default(POWERS, "beta")))
    tv_weight = float(link.setting_choice(st.select_slider, "tv_weight", TV_POWERS,
                                          default=default(TV_POWERS, "tv_weight")))
with pictures, st.container(key="thumbs_play"):
    p1, p2, p3 = st.columns(3)
    p1.image(c, caption="c", width="stretch")
    p2.image(s, caption="s", width="stretch")
    p3.image(g, caption=f"g = {which}", width="stretch")

with st.expander(f"Layer weights w_l ({len(style_layers)} style layers)", expanded=False):
    st.caption("w_l = 1 for every layer is the article's uniform choice.")
    wcols = st.columns(min(4, len(style_layers)))
    layer_weights = {}
    for k, layer in enumerate(style_layers):
        layer_weights[layer] = float(link.choice(wcols[k % len(wcols)].select_slider, f"w {layer}", W_STEPS,
                                                 key=f"w_{layer}", default=W_L, text=lambda w: f"{w:g}"))

terms = lessons.combine(inputs, alpha, beta, layer_weights, tv_weight)

# --- the terms -------------------------------------------------------------------------------------
style_sum = beta * terms["style"]
m1, m2, m3, m4 = st.columns(4)
m1.metric("total L", fmt(terms['total']))
m2.metric("α L_content", fmt(terms['weighted/content']))
m3.metric("β Σ w_l E_l", fmt(style_sum))
m4.metric("λ_tv L_tv", fmt(terms['weighted/tv']))
if terms["total"] > 0:
    share = style_sum / terms["total"]
    st.progress(min(1.0, max(0.0, share)),
                text=f"style is {share:.0%} of L, content {terms['weighted/content'] / terms['total']:.0%}, "
                     f"tv {terms['weighted/tv'] / terms['total']:.0%}")

log = st.toggle("Log scale", value=True, key="play_log", persist_state="session", help="The terms differ by orders of magnitude.")
bars = [("α L_content", terms["weighted/content"], "content")]
bars += [(f"β w E {l.replace('block', 'b').replace('_conv', 'c')}", terms[f"weighted/style/{l}"], "style")
         for l in style_layers]
bars += [("λ_tv L_tv", terms["weighted/tv"], "tv"), ("total L", terms["total"], "total")]
st.plotly_chart(viz.loss_bars(bars, log=log), width="stretch", key="play_bars")
names = viz.COLOR_NAMES  # the bars' colours, named from the palette that draws them
st.caption(f"{names['content'].capitalize()}: content; {names['style']}: style, one bar per layer l "
           f"(b2c1 = block2_conv1); {names['tv']}: total variation; {names['total']}: the total. "
           "A term of 0 has no bar on the log scale.")

st.latex(  # one term a line, so it fits a phone
    r"\begin{aligned} L &= " + rf"{tex(alpha)} \cdot {tex(terms['content'])} \\ "
    rf"&+ {tex(beta)} \cdot {tex(terms['style'])} \\ &+ {tex(tv_weight)} \cdot {tex(terms['tv'])} \\ "
    rf"&= {tex(terms['total'])}" + r"\end{aligned}")
st.caption("α · L_content + β · Σ w_l E_l + λ_tv · L_tv, each term unweighted times its weight.")

with st.expander("The terms, unweighted, and how each is normalised"):
    st.markdown(
        f"- $L_{{content}}$ at {', '.join(content_layers)} = **{fmt(terms['content'])}**: the *mean* over "
        "feature maps and positions of $(A^l(g) - A^l(c))^2$.\n"
        "- $G^l_{ij} = \\frac{1}{M_l}\\sum_k F^l_{ik}F^l_{jk}$ (divided by the number of positions $M_l$), "
        "and $E_l$ = the *mean* over $(i, j)$ of $(G^l_{ij}(g) - G^l_{ij}(s))^2$: 4x Gatys et al.'s $E_l$.\n"
        "- $L_{style} = \\sum_l w_l E_l$; the article's $M^l$ factor is absorbed into $\\beta$.\n"
        f"- $L_{{tv}}$ = **{fmt(terms['tv'])}**: mean squared difference of neighbouring pixels, down plus across.")
    st.table(pd.DataFrame(
        {"layer l": list(style_layers),
         "E_l": [fmt(terms[f"E/{l}"]) for l in style_layers],
         "w_l": [f"{layer_weights[l]:g}" for l in style_layers],
         "β w_l E_l": [fmt(terms[f"weighted/style/{l}"]) for l in style_layers]}).style.hide())

with st.expander("Things to try"):
    st.markdown(
        "- **g = content c**: the content loss is 0, all of L is style. The optimiser will add style.\n"
        "- **g = style s**: now the style terms are small and the content term is large.\n"
        "- **g = noise**: both are large; the first layers' E_l dwarf the others. That is why many "
        "implementations lower $w_l$ for block 1, or why β must be small.\n"
        "- Pick **g = stylised preview** and find the β where α·L_content and β·L_style are about "
        "**equal**: around there the result keeps the content and takes on the style. (For g = c the "
        "content loss is 0, so no β balances them.) The settings live in the URL: copy it to share this "
        "balance.")
