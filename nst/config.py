"""Every setting of a style transfer run in one dataclass; presets are instances of it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .weights import LAYERS, SOURCES

ARTICLE_LAYERS = tuple(LAYERS[:7])  # block1_conv1 .. block3_conv3
GATYS_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")

OPTIMIZERS = ("adam", "lbfgs")
POOLING = ("avg", "max")          # nst.vgg
PADDING = ("zero", "reflect")     # nst.vgg
STYLE_LOSSES = ("gram", "meancov")  # nst.losses
INITS = ("content", "noise", "style", "image")  # "image": stylize(..., init_image=array)
PRESERVE_COLOR = ("none", "luminance", "histogram")
MIN_SIZE, MAX_SIZE = 32, 1024


@dataclass
class StyleConfig:
    """A style transfer run, in the article's words.

    ``style_weights`` are the per-layer w_l (missing layers get 1.0; the style
    loss divides nothing, so w_l = 1 for all layers is the article's uniform choice).
    """

    preset: str = "article"
    content_layers: tuple[str, ...] = ("block3_conv3",)
    style_layers: tuple[str, ...] = ARTICLE_LAYERS
    style_weights: dict[str, float] = field(default_factory=dict)
    alpha: float = 1.0
    beta: float = 1e-3
    tv_weight: float = 0.0
    optimizer: str = "lbfgs"
    iterations: int = 100
    learning_rate: float = 5.0
    size: int = 256
    init: str = "content"
    seed: int = 0
    pooling: str = "avg"
    weights: str = "hed"
    preserve_color: str = "none"
    style_scale: float = 1.0
    style_blend: tuple[float, ...] = ()
    scales: int = 2
    style_loss: str = "gram"   # "gram" (the article's) or "meancov" (mean and covariance apart)
    normalize: bool = False    # each layer's term relative to its target's size (no layer dominates by size)
    padding: str = "zero"      # VGG's conv padding: "zero" (as trained) or "reflect" (no border band)
    coarse_weight: float = 0.0  # iterations per scale ~ (size / scale's size)^coarse_weight; 0 = even split
    content_detail: float = 0.0  # photo detail added back at each finer scale (0 = plain enlarging; 0..1)
    min_size: int = 0          # longest side of the coarsest scale in px (0: size / 2^(scales-1), at least 64)
    style_size: int = 0        # style image's longest side at the finest scale in px (0: size x style_scale)
    snapshot_every: int = 0
    xla: bool = False

    def layer_weights(self) -> dict[str, float]:
        """w_l for every style layer."""
        return {name: float(self.style_weights.get(name, 1.0)) for name in self.style_layers}

    def replace(self, **changes) -> "StyleConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["content_layers"] = list(self.content_layers)
        d["style_layers"] = list(self.style_layers)
        d["style_blend"] = list(self.style_blend)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "StyleConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        clean = {k: v for k, v in data.items() if k in names}
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
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.init not in INITS:
            problems.append(f"init must be one of {', '.join(INITS)}")
        if self.weights not in SOURCES:
            problems.append(f"weights must be one of {', '.join(SOURCES)}")
        if self.preserve_color not in PRESERVE_COLOR:
            problems.append(f"preserve_color must be one of {', '.join(PRESERVE_COLOR)}")
        if self.pooling not in POOLING:
            problems.append("pooling must be 'avg' or 'max'")
        if self.padding not in PADDING:
            problems.append("padding must be 'zero' or 'reflect'")
        if self.style_loss not in STYLE_LOSSES:
            problems.append(f"style_loss must be one of {', '.join(STYLE_LOSSES)}")
        if not (self.content_detail == self.content_detail) or not 0 <= self.content_detail <= 1:
            problems.append("content_detail must be between 0 and 1")
        if not (self.coarse_weight == self.coarse_weight) or not 0 <= self.coarse_weight <= 4:
            problems.append("coarse_weight must be between 0 and 4")
        if not MIN_SIZE <= int(self.size) <= MAX_SIZE:
            problems.append(f"size must be between {MIN_SIZE} and {MAX_SIZE} px")
        if not 1 <= int(self.iterations) <= 10_000:
            problems.append("iterations must be between 1 and 10000")
        for label, value in (("alpha", self.alpha), ("beta", self.beta), ("tv_weight", self.tv_weight),
                             ("learning_rate", self.learning_rate), ("style_scale", self.style_scale)):
            if not (value == value) or value < 0 or value > 1e12:  # NaN, negative or absurd
                problems.append(f"{label} must be a number between 0 and 1e12")
        if any(not (w == w) or w < 0 or w > 1e12 for w in self.style_weights.values()):
            problems.append("layer weights w_l must be numbers between 0 and 1e12")
        if any(not (w == w) or w < 0 or w > 1e12 for w in self.style_blend):
            problems.append("style blend weights must be numbers between 0 and 1e12")
        if self.style_blend and all(w == 0 for w in self.style_blend):
            problems.append("style blend weights must not all be 0")
        if not 0 <= int(self.seed) < 2 ** 32:
            problems.append("seed must be between 0 and 4294967295")
        if int(self.snapshot_every) < 0:
            problems.append("snapshot_every must be 0 (off) or more")
        if not 0.1 <= self.style_scale <= 4:
            problems.append("style_scale must be between 0.1 and 4")
        if not 1 <= int(self.scales) <= 8:
            problems.append("scales must be between 1 and 8")
        if int(self.min_size) and not MIN_SIZE <= int(self.min_size) <= MAX_SIZE:
            problems.append(f"min_size must be 0 (automatic) or between {MIN_SIZE} and {MAX_SIZE} px")
        if int(self.style_size) and not 16 <= int(self.style_size) <= 2 * MAX_SIZE:
            problems.append(f"style_size must be 0 (use style_scale) or between 16 and {2 * MAX_SIZE} px")
        if self.learning_rate <= 0 and self.optimizer == "adam":
            problems.append("the Adam learning rate must be above 0")
        if problems:
            raise ValueError("Invalid settings: " + "; ".join(problems) + ".")
        return self


PRESETS: dict[str, StyleConfig] = {
    # The article: the first 7 conv layers, content on the top one, style on all with uniform w_l.
    "article": StyleConfig(preset="article"),
    # Gatys et al. 2015: content on block4_conv2, style on the first conv of every block.
    "gatys": StyleConfig(preset="gatys", content_layers=("block4_conv2",), style_layers=GATYS_STYLE_LAYERS),
    # The best art this engine makes (measured with python -m nst.gallery on real paintings): Gatys's
    # deeper layers (they carry larger structures), every term normalised, the mean and covariance
    # matched apart, reflect padding, and most iterations at coarse scales where strokes form.
    "deep": StyleConfig(preset="deep", content_layers=("block4_conv2",), style_layers=GATYS_STYLE_LAYERS,
                        alpha=1.0, beta=1.0, tv_weight=0.0, style_loss="meancov", normalize=True, content_detail=0.7,
                        padding="reflect", size=512, scales=5, min_size=128, coarse_weight=1.0,
                        iterations=200),
}


DEFAULT_PRESET = "deep"  # what the CLI and the studio start from


def preset(name: str, **changes) -> StyleConfig:
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return PRESETS[name].replace(**changes)
