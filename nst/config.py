"""Every setting of a style transfer run in one dataclass; presets are instances of it.

The one settings table (like tensorflow/playground's ``state.ts``): each field of
:class:`StyleConfig` carries its default, its range or choices, its label, its help
text, its link key and its CLI flag (a :class:`Setting` in the field's metadata;
``SETTINGS`` lists them by name). ``StyleConfig.validate``, the CLI's options
(nst/__main__.py), the link codec (nst/link.py) and the studio's widgets
(ui/studio/settings.py, panel.py) all read it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .weights import LAYERS, SOURCES

ARTICLE_LAYERS = tuple(LAYERS[:7])  # block1_conv1 .. block3_conv3
GATYS_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")

OPTIMIZERS = ("adam", "lbfgs")
POOLING = ("avg", "max")          # nst.vgg
PADDING = ("zero", "reflect")     # nst.vgg
STYLE_LOSSES = ("gram", "meancov")  # nst.losses
TV_NORMS = ("l2", "l1")  # nst.losses
INITS = ("content", "recolored", "noise", "style", "image")  # "image": stylize(..., init_image=array)
PRESERVE_COLOR = ("none", "luminance", "histogram")
MIN_SIZE, MAX_SIZE = 32, 1024
BIG = 1e12  # the largest weight or rate a run takes: "any number" without NaN or absurd values
W_L = 1.0   # a style layer's w_l where layer_weights does not name it (as in losses.style_loss, lessons.combine)
# params.json keys of earlier versions -> today's field
LEGACY_KEYS = {"weights": "vgg_weights", "style_weights": "layer_weights"}


@dataclass(frozen=True)
class Setting:
    """One setting's entry in the settings table: everything every front end needs to know about it.

    ``low``/``high`` bound a number (each element of a list of numbers), ``zero`` names what 0
    means when 0 is allowed outside that range, ``choices`` are the values a run takes and
    ``offered`` those a user picks from (default: all of them). ``ui_low``/``ui_high``/``ui_step``
    narrow the studio's widget (and what a link may carry) for usability only; the run itself
    accepts the full range; ``ui_default`` is where the studio starts when that is not the preset's
    value. ``name``, ``default`` and ``kind`` are filled in from the field.
    """

    label: str
    help: str
    flag: str | None = None       # the CLI option (nst/__main__.py)
    url: str | None = None        # the studio link's query key (nst/link.py)
    choices: tuple = ()
    offered: tuple = ()
    choice_labels: tuple[tuple[str, str], ...] = ()
    low: float | None = None
    high: float | None = None
    zero: str = ""
    unit: str = ""
    ui_low: float | None = None
    ui_high: float | None = None
    ui_step: float | None = None
    ui_default: Any = None        # the studio's starting value, where it is not the preset's
    metavar: str | None = None
    default_text: str = ""        # the default in words, where the value alone does not say it
    name: str = ""
    default: Any = None
    kind: type = str

    @property
    def picks(self) -> tuple:
        """The choices a user picks from (the CLI's and the studio's)."""
        return self.offered or self.choices

    @property
    def sentence(self) -> str:
        """The help as a sentence (a widget's tooltip)."""
        return self.help[0].upper() + self.help[1:] + "."

    def choice_label(self, value: str) -> str:
        return dict(self.choice_labels).get(value, value)

    @property
    def ui_range(self) -> tuple:
        """(low, high) of the studio's widget and of a link's value."""
        return (self.low if self.ui_low is None else self.ui_low, self.high if self.ui_high is None else self.ui_high)

    def range_text(self) -> str:
        """'32..1024 px', '0 (automatic) or 32..1024 px', '0 (off) or more'; '' without a range."""
        if self.low is None and self.high is None:
            return ""
        if self.high is None:
            return f"{number_text(self.low)}{f' ({self.zero})' if self.zero and self.low == 0 else ''} or more"
        text = f"{number_text(self.low)}..{number_text(self.high)}" + (f" {self.unit}" if self.unit else "")
        return f"0 ({self.zero}) or {text}" if self.zero else text

    def problem(self, value) -> str | None:
        """One sentence, naming the setting, when ``value`` is out of the table's range or choices."""
        if self.choices:
            return None if value in self.choices else f"{self.name} must be one of {', '.join(self.choices)}"
        if self.low is None and self.high is None:
            return None
        value = int(value) if self.kind is int else value
        if self.zero and value == 0:
            return None
        if (self.low is None or value >= self.low) and (self.high is None or value <= self.high):
            return None  # (a NaN fails both comparisons)
        if self.high is None:
            return f"{self.name} must be {self.range_text()}"
        low, high = number_text(self.low), number_text(self.high)
        unit = f" {self.unit}" if self.unit else ""
        if self.zero:
            return f"{self.name} must be 0 ({self.zero}) or between {low} and {high}{unit}"
        what = "a number " if self.high >= BIG else ""
        return f"{self.name} must be {what}between {low} and {high}{unit}"


def number_text(value) -> str:
    """4, 0.1, 1e12, 4294967295: a number as a person writes it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:g}".replace("e+", "e") if isinstance(value, float) else str(value)


def setting(default=dataclasses.MISSING, *, default_factory=dataclasses.MISSING, **meta):
    """A StyleConfig field with its entry in the settings table."""
    return field(default=default, default_factory=default_factory, metadata={"setting": Setting(**meta)})


def _pairs(**labels) -> tuple[tuple[str, str], ...]:
    return tuple(labels.items())


@dataclass
class StyleConfig:
    """A style transfer run, in the article's words; each field is a row of the settings table.

    ``layer_weights`` are the per-layer w_l (missing layers get 1.0; the style
    loss divides nothing, so w_l = 1 for all layers is the article's uniform choice).
    """

    preset: str = setting(
        "article", label="Preset", flag="--preset", url="preset",
        help="the settings to start from: 'article' = the first 7 conv layers, content on block3_conv3, style "
             "on all (uniform w_l); 'gatys' = content block4_conv2, style block1..5_conv1; 'deep' = Gatys's "
             "layers with this project's best settings for real paintings (the default)")
    content_layers: tuple[str, ...] = setting(
        ("block3_conv3",), label="Content layers", flag="--content-layers", metavar="L1,L2",
        help="the content layer(s), e.g. block4_conv2", default_text="the preset's")
    style_layers: tuple[str, ...] = setting(
        ARTICLE_LAYERS, label="Style layers", flag="--style-layers", metavar="L1,L2",
        help="the style layers, e.g. block1_conv1,block2_conv1", default_text="the preset's")
    layer_weights: dict[str, float] = setting(
        default_factory=dict, label="Layer weights w_l", flag="--layer-weights", metavar="W1,W2", low=0, high=BIG,
        help="per-style-layer weights w_l, in the order of the style layers", default_text="all 1")
    alpha: float = setting(
        1.0, label="α (content weight)", flag="--alpha", url="alpha", low=0, high=BIG, ui_step=0.1,
        help="weight of the content loss: L = α L_content + β L_style + λ_tv L_tv; only the ratios matter "
             "(with L-BFGS)")
    beta: float = setting(
        1e-3, label="β (style weight)", flag="--beta", url="beta", low=0, high=BIG, ui_step=1e-4,
        help="weight of the style loss: raise it for more style, lower it to keep more of the content")
    tv_weight: float = setting(
        0.0, label="λ_tv (total-variation weight)", flag="--tv", url="tv", low=0, high=BIG, ui_step=1e-3,
        help="weight of the total-variation (smoothness) loss: penalises neighbouring pixels that differ, "
             "less noise")
    tv_norm: str = setting(
        "l2", label="Total variation", flag="--tv-norm", url="tvn", choices=TV_NORMS,
        choice_labels=_pairs(l2="squared (blurs)", l1="length (flat planes)"),
        help="how L_tv measures the change between neighbouring pixels: 'l2' = its square (smooths every "
             "edge: a soft, blurred picture), 'l1' = its length (flat areas with sharp edges between them)")
    optimizer: str = setting(
        "lbfgs", label="Optimizer", flag="--optimizer", url="opt", choices=OPTIMIZERS, offered=("lbfgs", "adam"),
        choice_labels=_pairs(lbfgs="L-BFGS", adam="Adam (the article's)"),
        help="L-BFGS ('lbfgs') converges in far fewer iterations; Adam ('adam') is what the article uses")
    iterations: int = setting(
        100, label="Iterations", flag="--iterations", url="iters", low=1, high=10_000, ui_step=10,
        help="optimiser iterations, split between the scales")
    learning_rate: float = setting(
        5.0, label="Adam learning rate", flag="--lr", url="lr", low=0, high=BIG, ui_step=0.5,
        help="Adam's learning rate, in pixel units (L-BFGS has none)")
    size: int = setting(
        256, label="Size (px, longest side)", flag="--size", url="size", low=MIN_SIZE, high=MAX_SIZE, unit="px",
        ui_step=16, ui_default=256,  # the studio's runs stay short for a class (README, "Running it for a class")
        help="longest side of the result in px; time grows with the number of pixels: 512 px takes "
                         "about 4x as long as 256 px")
    init: str = setting(
        "content", label="Start from (init)", flag="--init", url="init", choices=INITS,
        offered=("content", "recolored", "noise", "style"),
        help="the image g starts as a copy of the content image, the content image in the painting's colours "
             "(its RGB mean and covariance), random noise, or the style image")
    seed: int = setting(
        0, label="Random seed", flag="--seed", url="seed", low=0, high=2**32 - 1, ui_step=1,
        help="fixes the noise of init = noise: the same settings and seed give the same picture")
    pooling: str = setting(
        "avg", label="Pooling", flag="--pooling", url="pool", choices=POOLING,
        help="VGG's pooling: average (Gatys et al.'s and the article's: smoother images) or max (VGG-16's own)")
    vgg_weights: str = setting(
        "hed", label="VGG-16 weights", flag="--weights", url="weights", choices=SOURCES,
        choice_labels=_pairs(hed="hed (bundled)", imagenet="ImageNet (Keras download)", npz="article's npz file"),
        help="where VGG-16's weights come from: 'hed' (bundled, offline), 'imagenet' (Keras download), "
             "'npz' (vgg/vgg16_weights.npz)")
    preserve_color: str = setting(
        "none", label="Preserve the content's colours", flag="--preserve-color", url="color",
        choices=PRESERVE_COLOR,
        help="keep the content's colours: 'luminance' styles only the brightness, 'histogram' recolours the "
             "style image first")
    style_scale: float = setting(
        1.0, label="Style scale", flag="--style-scale", url="sscale", low=0.1, high=4, ui_low=0.25, ui_high=2.0,
        ui_step=0.05,
        help="size of the style image relative to the result, before its Gram matrices are taken: larger "
             "gives larger brush strokes")
    style_blend: tuple[float, ...] = setting(
        (), label="Style blend weights", flag="--blend", metavar="W1,W2", low=0, high=BIG,
        help="blend weights for several style images", default_text="equal")
    scales: int = setting(
        2, label="Scales (coarse to fine)", flag="--scales", url="scales", low=1, high=8,
        help="multi-scale: run small first, enlarge, refine, up to the size; params.json records the sizes "
             "that ran")
    style_loss: str = setting(
        "gram", label="Style loss", flag="--style-loss", choices=STYLE_LOSSES,
        help="'gram' = the article's Gram matrices; 'meancov' = the mean and the covariance of the feature "
             "maps matched apart")
    normalize: bool = setting(
        False, label="Normalise each layer's term", flag="--normalize",
        help="divide each layer's term by the size of its target, so no layer dominates by its size alone")
    padding: str = setting(
        "zero", label="Padding", flag="--padding", choices=PADDING,
        help="VGG's conv padding: 'zero' as trained, 'reflect' mirrors the borders (no border band)")
    coarse_weight: float = setting(
        0.0, label="Coarse weight", flag="--coarse-weight", metavar="P", low=0, high=4,
        help="iterations per scale in proportion to (size / scale's size)^P: more where they are cheap; "
             "0 = an even split")
    content_detail: float = setting(
        0.0, label="Content detail", flag="--content-detail", metavar="F", low=0, high=1,
        help="add the photo's fine detail back when the image is enlarged to the next scale (0 = plain "
             "enlarging)")
    min_size: int = setting(
        0, label="Coarsest scale (px, 0 = automatic)", flag="--min-size", url="minsize", metavar="PX",
        low=MIN_SIZE, high=MAX_SIZE, zero="automatic", unit="px", ui_step=16,
        help="longest side of the first, coarsest scale in px: large strokes form there, where a layer sees "
             "more of the picture (automatic: half the size per scale, at least 64)")
    style_size: int = setting(
        0, label="Style size (px)", flag="--style-size", metavar="PX", low=16, high=2 * MAX_SIZE,
        zero="use style_scale", unit="px",
        help="the style image's longest side in px at the result's size (instead of --style-scale)")
    snapshot_every: int = setting(
        0, label="Snapshot every", flag="--snapshot-every", low=0, zero="off",
        help="also save the image every N iterations")
    xla: bool = setting(
        False, label="XLA", flag="--xla", help="compile the loss with XLA (slower on most CPUs)")

    def w_l(self) -> dict[str, float]:
        """w_l for every style layer (W_L where ``layer_weights`` does not name it)."""
        return {name: float(self.layer_weights.get(name, W_L)) for name in self.style_layers}

    def replace(self, **changes) -> "StyleConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["content_layers"] = list(self.content_layers)
        d["style_layers"] = list(self.style_layers)
        d["style_blend"] = list(self.style_blend)
        return d

    @staticmethod
    def upgrade_keys(data: dict) -> dict:
        """A settings dict (params.json's "config") with the keys of earlier versions renamed:
        ``weights`` is ``vgg_weights``, ``style_weights`` is ``layer_weights`` (a key given under both
        names keeps today's)."""
        out = dict(data)
        for old, new in LEGACY_KEYS.items():
            if old in out:
                value = out.pop(old)
                out.setdefault(new, value)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "StyleConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        clean = {k: v for k, v in cls.upgrade_keys(data).items() if k in names}
        for key in ("content_layers", "style_layers", "style_blend"):
            if key in clean:
                clean[key] = tuple(clean[key])
        return cls(**clean)

    def validate(self) -> "StyleConfig":
        """Raise ValueError with one sentence for a setting that cannot run."""
        problems = []
        for name in (*self.content_layers, *self.style_layers):
            if name not in LAYERS:
                problems.append(f"unknown layer {name!r}")
        if not self.content_layers and not self.style_layers:
            problems.append("choose at least one content or style layer")
        for name, spec in SETTINGS.items():  # every range and every set of choices: the table's
            if name == "preset":  # a name (where the settings started), not a setting that runs
                continue
            value = getattr(self, name)
            if spec.kind in (dict, tuple) and spec.high is not None:  # a list of numbers: each in range
                values = value.values() if isinstance(value, dict) else value
                if any(not spec.low <= w <= spec.high for w in values):  # (a NaN fails too)
                    problems.append(f"{spec.label[0].lower() + spec.label[1:]} must be numbers between "
                                    f"{number_text(spec.low)} and {number_text(spec.high)}")
            elif spec.kind not in (dict, tuple):
                problem = spec.problem(value)
                if problem:
                    problems.append(problem)
        if self.style_blend and all(w == 0 for w in self.style_blend):
            problems.append("style blend weights must not all be 0")
        if self.learning_rate <= 0 and self.optimizer == "adam":
            problems.append("the Adam learning rate must be above 0")
        if problems:
            raise ValueError("Invalid settings: " + "; ".join(problems) + ".")
        return self


def _table() -> dict[str, Setting]:
    out = {}
    for f in dataclasses.fields(StyleConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[f.name] = dataclasses.replace(f.metadata["setting"], name=f.name, default=default, kind=type(default))
    return out


SETTINGS: dict[str, Setting] = _table()  # the settings table, by field name (read it; never copy a range)


PRESETS: dict[str, StyleConfig] = {
    # The article: the first 7 conv layers, content on the top one, style on all with uniform w_l.
    "article": StyleConfig(preset="article"),
    # Gatys et al. 2015: content on block4_conv2, style on the first conv of every block.
    "gatys": StyleConfig(preset="gatys", content_layers=("block4_conv2",), style_layers=GATYS_STYLE_LAYERS),
    # The best art this engine makes (measured with python -m nst.gallery on real paintings, README "The
    # art"): Gatys's deeper layers (they carry larger structures) with max pooling (crisper strokes),
    # every term normalised, reflect padding (no border band), g started from the photo in the
    # painting's colours, the photo's detail added back at every enlargement, and more iterations at
    # the coarse scales where strokes form and steps are cheap. The content is held at three depths
    # (block4 its shapes, blocks 3 and 2 its edges), so a strong style (beta 9) paints over the
    # photo's surface without wiping its thin lines.
    "deep": StyleConfig(preset="deep", content_layers=("block4_conv2", "block3_conv2", "block2_conv2"),
                        style_layers=GATYS_STYLE_LAYERS, alpha=1.0, beta=9.0, tv_weight=0.0, style_loss="gram",
                        normalize=True, pooling="max", init="recolored", content_detail=1.0, padding="reflect",
                        size=512, scales=5, min_size=128, coarse_weight=0.5, iterations=150),
}


DEFAULT_PRESET = "deep"  # what the CLI and the studio start from


def preset(name: str, **changes) -> StyleConfig:
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return PRESETS[name].replace(**changes)


# the preset's choices are the presets (defined above, after the table)
# (its default is where the CLI and the studio start; StyleConfig() itself is the article's settings)
SETTINGS["preset"] = dataclasses.replace(SETTINGS["preset"], choices=tuple(PRESETS), default=DEFAULT_PRESET)
