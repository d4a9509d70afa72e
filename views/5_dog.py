"""5. The dog and the upside-down dog: same Gram matrix, different content. Then on a real picture."""
import numpy as np
import pandas as pd
import streamlit as st

from nst import images as imgs
from nst import lessons, viz
from nst.toy import dog_example
from nst.viz import fmt
from ui.common import features_or_stop, load_bundled, samples
from ui.walkthrough import flip_demo, layer_select, page_picture, show_heatmaps, working_copy

st.title("5 · The dog and the upside-down dog")
st.markdown(
    "The article's thought experiment: a layer with **three feature maps**. In picture A, map 1 fires in "
    "the shape of a dog and maps 2 and 3 are silent. In picture B the dog is **upside down**. "
    "Compute both losses by hand, or let the library do it:")

dog = dog_example()
titles = ["map 1 (dog)", "map 2 (silent)", "map 3 (silent)"]
for label, maps in (("A: the dog", dog["maps_a"]), ("B: the upside-down dog", dog["maps_b"])):
    st.markdown(f"**{label}**")
    show_heatmaps([maps[..., k] for k in range(3)], titles, key=f"dog_{label[0]}", zrange=(0.0, 1.0), height=220,
                  value_name="A")

g_a, g_b = dog["gram_a"], dog["gram_b"]
left, right, numbers = st.columns([1, 1, 1.1], gap="medium")
with left:
    st.plotly_chart(viz.gram_heatmap(g_a, labels=[1, 2, 3], text=True, height=280, title="G(A)"),
                    width="stretch", key="dog_gram_a")
with right:
    st.plotly_chart(viz.gram_heatmap(g_b, labels=[1, 2, 3], text=True, height=280, title="G(B)"),
                    width="stretch", key="dog_gram_b")
with numbers:
    st.metric("content loss L_content(A, B)", f"{fmt(dog['content_loss'])}",
              help="Mean over the 3 maps and 256 positions of (A - B)^2: every pixel where only one dog is, counts.")
    st.metric("style loss E(A, B)", f"{fmt(dog['style_loss'])}",
              help="Mean over the 3 x 3 entries of (G(A) - G(B))^2.")
    raw = int(dog["gram_raw_a"][0, 0])
    m = dog["maps_a"].shape[0] * dog["maps_a"].shape[1]
    st.markdown(f"$G_{{11}} = {raw}/{m} = {g_a[0, 0]:.4f}$: the dog has {raw} pixels, "
                "right way up or upside down.")

same = bool(np.array_equal(g_a, g_b))
st.success(
    f"**Same Gram matrix{' (exactly)' if same else ''}, different content.** The content loss compares position "
    f"by position, so it sees that the dog moved: {fmt(dog['content_loss'])}. The Gram matrix adds up over all "
    f"positions, so it only knows *which* maps fire and *together with which*: style loss {fmt(dog['style_loss'])}. "
    "The style of a picture survives when its parts are moved around; its content does not.",
    icon=":material/pets:")

# --- a real picture ----------------------------------------------------------------------
st.header("The same on a real picture")
features_or_stop()
image, name, picture = page_picture("Picture (content photo)", "content", "dog_image",
                                    "Working size (px)", "dog_size", 128, "Longest side; smaller is faster.")
layer = layer_select("Layer l", key="flip_layer", default="block2_conv1")
others = [n for n in samples()["content"] if n != name]
other = working_copy(load_bundled(str(samples()["content"][others[0]])), max(picture.shape[:2])) if others else None

try:
    demo = flip_demo(picture, layer, other)
except (imgs.ImageError, ValueError) as exc:
    st.error(str(exc))
    st.stop()

maps = demo["maps"]
pick = int(lessons.strongest_maps(maps, 1)[0])
flipped_maps = demo["cases"]["flipped maps"]
flipped_input = demo["cases"]["flipped input"]
st.markdown(
    "Two ways to turn the picture upside down, compared with $A^l(c)$ of the picture itself "
    f"(its most active map, {pick}, is shown):\n"
    "1. **flip the feature maps** (numpy, after VGG-16): exactly the article's dog;\n"
    "2. **flip the picture** and run VGG-16 again: what an optimiser would actually see.")
pic_col, flip_col = st.columns(2)
pic_col.image(picture, caption=f"c: {name}", width=200)
flip_col.image(np.ascontiguousarray(picture[::-1]), caption="c upside down", width=200)
top = float(max(maps[..., pick].max(), flipped_input["maps"][..., pick].max())) or 1.0
show_heatmaps([maps[..., pick], flipped_maps["maps"][..., pick], flipped_input["maps"][..., pick]],
              [f"A<sup>l</sup><sub>{pick}</sub>(c)", "1. maps flipped", "2. picture flipped"],
              key="dog_real_maps", zrange=(0.0, top), height=260, value_name="A")

# st.table reads its cells as Markdown: "1\." keeps "1." a number, not an indented list item
rows = [("1\\. feature maps flipped", flipped_maps), ("2\\. picture flipped, VGG-16 again", flipped_input)]
if "other picture" in demo["cases"]:
    rows.append((f"for scale: another picture ({others[0]})", demo["cases"]["other picture"]))
# st.table: a plain HTML table whose headers wrap, so all its columns fit a phone (a data grid hid the last ones)
table = pd.DataFrame({"compared with c": [r[0] for r in rows],
                      "content loss": [r[1]["content_loss"] for r in rows],
                      "style loss E_l": [r[1]["style_loss"] for r in rows],
                      "max |G − G(c)|": [r[1]["max_gram_diff"] for r in rows]})
st.table(table.style.format(fmt, subset=["content loss", "style loss E_l", "max |G − G(c)|"]).hide())
st.caption(f"All at {layer}, against A^l(c) and G^l(c) of the picture the right way up.")

other_case = demo["cases"].get("other picture")
ratio = flipped_input["style_loss"] / other_case["style_loss"] \
    if other_case and other_case["style_loss"] > 0 else None
content_ratio = flipped_input["content_loss"] / other_case["content_loss"] \
    if other_case and other_case["content_loss"] > 0 else None
if content_ratio is not None and content_ratio < 0.01 and (ratio is None or ratio < 0.01):
    verdict = (" This picture looks the same upside down, so at this layer both losses are close to 0: "
               "pick a picture with a clear top and bottom to see the difference.")
elif ratio is None:
    verdict = "."
elif ratio < 0.25:
    verdict = f", only {ratio:.0%} of the style loss against a different picture: close, but not zero."
    if content_ratio is not None:
        verdict += f" The content loss, {content_ratio:.0%} of a different picture's, says the content moved."
elif ratio < 1:
    verdict = (f", {ratio:.0%} of the style loss against a different picture: smaller, but not small. "
               f"At {layer} the filters already care which way up things are; a shallower layer "
               "(edges and colours) barely notices the flip.")
else:
    verdict = (f", {ratio:.0%} of the style loss against a different picture: here the flip changes the "
               f"Gram matrix *more* than another picture does. Deep layers like {layer} respond to upright "
               "objects, so an upside-down picture fires different features. The dog's argument holds "
               "for the statistics a layer measures, not for what a picture means to a deep layer; "
               "try block1_conv2 or block2_conv1.")
st.markdown(
    f"- **Flipped feature maps**: the Gram matrix is the same sum in another order, so it is **exactly equal** "
    f"(up to float rounding: largest difference {fmt(flipped_maps['max_gram_diff'])}), while the content loss is "
    f"{fmt(flipped_maps['content_loss'])}. This is the dog.\n"
    f"- **Flipped picture**: VGG-16's filters are not symmetric under flips (a filter for 'light above dark' "
    f"does not fire on 'dark above light'), so the Gram matrix is only **approximately** equal: style loss "
    f"{fmt(flipped_input['style_loss'])}" + verdict)

other_case = demo["cases"].get("other picture")
if other_case is not None and other_case["content_loss"] > 0:
    fi, ot = flipped_input, other_case
    if fi["content_loss"] > ot["content_loss"]:
        lead = (f"**Why does the flipped picture have a larger content loss ({fmt(fi['content_loss'])}) than a "
                f"different picture ({fmt(ot['content_loss'])})?** ")
    else:
        lead = (f"**What the content loss counts.** The flipped picture scores {fmt(fi['content_loss'])}, a different "
                f"picture {fmt(ot['content_loss'])}. ")
    st.markdown(
        lead + "The content loss is the mean of $(A(g) - A(c))^2$, which splits into three parts: "
        "$\overline{A(c)^2} + \overline{A(g)^2} - 2\,\overline{A(c)A(g)}$, the activity of c, the activity "
        "of g, and twice their overlap (large only where both fire at the same places).")
    st.table(pd.DataFrame({
        "g": ["2\\. picture flipped", f"another picture ({others[0]})"],
        "activity of c": [fi["energy_c"], ot["energy_c"]],
        "activity of g": [fi["energy"], ot["energy"]],
        "2 × overlap": [2 * fi["overlap"], 2 * ot["overlap"]],
        "content loss": [fi["content_loss"], ot["content_loss"]],
    }).style.format(fmt, subset=["activity of c", "activity of g", "2 × overlap", "content loss"]).hide())
    st.caption("content loss = activity of c + activity of g − 2 × overlap, in every row.")
    if fi["content_loss"] > ot["content_loss"]:
        why = (f"{others[0]} fires less at {layer} ({fmt(ot['energy'])}), so it has less activity in the wrong "
               "place" if ot["energy"] < fi["energy"] else
               f"{others[0]} happens to overlap c more ({fmt(2 * ot['overlap'])} against {fmt(2 * fi['overlap'])}): "
               "its busy and quiet regions line up better with c's than c's own upside-down copy does")
        st.markdown(
            f"The flip keeps **all** of c's activity ({fmt(fi['energy'])}, about c's own {fmt(fi['energy_c'])}) but "
            f"moves it to other places, so the overlap is small; {why}. The content loss counts "
            "activation in the wrong place, not how different two scenes are: an upside-down copy of a busy "
            "picture is, to it, as wrong as can be. The style loss is what tells the two apart: small for the "
            "flip, large for another picture.")
    else:
        st.markdown(
            "Both are far from c position by position; the style loss is what tells them apart: small for the "
            "flip, large for another picture.")
