"""The studio's settings and the link that shares them (no widgets here).

Every setting of the run is a row of the settings table (``nst.config.SETTINGS``):
its label, help, widget range or choices and link key come from there, and the
link itself is ``nst.link``'s codec. Here live only the studio's own settings
(the pictures, the second style's share, ``image_every``: how often the image is shown; link key ``every``) and the
studio's default size. Defaults are those of the chosen preset (the default preset
``nst.config.DEFAULT_PRESET`` unless the link names one). A link lists only the
settings that differ from the chosen preset's values: ``?preset=gatys`` is the
gatys preset exactly.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from nst import link
from nst.config import DEFAULT_PRESET, PRESETS, SETTINGS, StyleConfig, preset
from nst.weights import DEFAULT_NPZ, imagenet_file
from ui import common

KEY = "studio_{}".format  # widget keys
STUDIO_SIZE = SETTINGS["size"].ui_default  # the studio's default size: see README "Running it for a class"
IMAGE_EVERY = (1, 2, 5, 10, 20, 50)  # "show the image every N iterations": the widget's choices

# the studio's own settings (not a run's): name -> (link key, kind, choices or (min, max) or None)
STUDIO_ONLY = {
    "content": ("content", "sample:content", None),
    "style": ("style", "sample:style", None),
    "second": ("second", "bool", None),
    "style2": ("style2", "sample:style", None),
    "blend": ("blend", "float", (0.0, 1.0)),
    "image_every": ("every", "int", (IMAGE_EVERY[0], IMAGE_EVERY[-1])),
}
STUDIO_DEFAULTS = {"second": False, "blend": 0.5, "image_every": 5}
# the run's settings the studio shows and links: the settings table's rows with a link key
CONFIG_FIELDS = link.LINKED


def image_every_setting(state: Mapping[str, Any]) -> int:
    """The studio's ``image_every`` (show the image every N iterations) from the widgets' state."""
    return int(state.get(KEY("image_every"), STUDIO_DEFAULTS["image_every"]))


def max_scales() -> int:
    return int(SETTINGS["scales"].ui_range[1])


def widget(name: str) -> dict[str, Any]:
    """A run setting's widget arguments from the settings table: label, help, and min/max/step or options."""
    spec = SETTINGS[name]
    out: dict[str, Any] = {"label": spec.label, "help": spec.sentence}
    if spec.choices:
        out["options"] = list(spec.picks)
        if spec.choice_labels:
            out["format_func"] = spec.choice_label
        return out
    low, high = spec.ui_range
    cast = spec.kind
    if low is not None:
        out["min_value"] = cast(0 if spec.zero else low)
    if high is not None:
        out["max_value"] = cast(high)
    if spec.ui_step is not None:
        out["step"] = cast(spec.ui_step)
    return out


# name: (query key, kind, choices or (min, max) or None): the studio's own settings and the run's
def fields() -> dict[str, tuple[str, str, Any]]:
    spec = {name: STUDIO_ONLY[name] for name in ("content", "style", "second", "style2", "blend")}
    spec["preset"] = (SETTINGS["preset"].url, "choice", tuple(PRESETS))
    for name in CONFIG_FIELDS:
        row = SETTINGS[name]
        if row.choices:
            spec[name] = (row.url, "choice", tuple(row.picks))
        else:
            low, high = row.ui_range
            spec[name] = (row.url, row.kind.__name__, (0 if row.zero else low, high))
    spec["image_every"] = STUDIO_ONLY["image_every"]
    return spec


FIELDS = fields()


def sample_names(kind: str) -> list[str]:
    return list(common.samples()[kind])


def sample_slugs(kind: str) -> dict[str, str]:
    """{short name for links: display name}: 'mosaic' for style_mosaic.png."""
    return {Path(path).stem[len(kind) + 1:]: name for name, path in common.samples()[kind].items()}


def preset_values(name: str) -> dict:
    """The studio's settings as the preset ``name`` has them (size: the studio's default size)."""
    cfg = PRESETS.get(name) or PRESETS[DEFAULT_PRESET]
    out = link.config_values(cfg)
    for name in out:  # the studio's own starting values, whatever the preset's (the CLI's) are: size 256 px
        if SETTINGS[name].ui_default is not None:
            out[name] = SETTINGS[name].ui_default
    return out


def default_settings(preset_name: str | None = None) -> dict:
    name = preset_name if preset_name in PRESETS else DEFAULT_PRESET
    out: dict[str, Any] = {**STUDIO_DEFAULTS, "preset": name}
    out.update(preset_values(name))
    contents, styles = sample_names("content"), sample_names("style")
    out["content"] = contents[0] if contents else None
    out["style"] = styles[0] if styles else None
    out["style2"] = styles[1] if len(styles) > 1 else out["style"]
    return out


def _parse_own(raw: str, kind: str, rule: Any, notes: list[str], qkey: str) -> Any:
    """One of the studio's own values from a link; ValueError when it cannot be used (numbers are clamped)."""
    if kind.startswith("sample:"):
        slugs = sample_slugs(kind.split(":")[1])
        if raw.lower() in slugs:
            return slugs[raw.lower()]
        if raw in slugs.values():
            return raw
        raise ValueError
    if kind == "bool":
        return link.parse_bool(raw)
    value, note = link.parse_number(qkey, raw, int if kind == "int" else float, *rule)
    if note:
        notes.append(note)
    return value


def parse_query(params: Mapping[str, str]) -> tuple[dict, list[str]]:
    """Settings from a shared link; a value that cannot be used is replaced and named in a note.

    The run's settings go through nst.link (numbers outside the widgets' ranges are clamped);
    settings the link does not name are the chosen preset's.
    """
    name, notes = link.link_preset(params)
    settings = default_settings(name)
    values, more = link.decode(params, settings)
    settings.update(values)
    notes += more
    for own, (qkey, kind, rule) in STUDIO_ONLY.items():
        if qkey not in params:
            continue
        raw = str(params[qkey]).strip()
        try:
            settings[own] = _parse_own(raw, kind, rule, notes, qkey)
        except (ValueError, OverflowError):
            choices = sample_slugs(kind.split(":")[1]) if kind.startswith("sample:") else ()
            notes.append(link.unusable_note(qkey, raw, settings[own], choices))
    return settings, notes


def to_query(settings: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from their preset's values, as query parameters (a short link)."""
    name = settings.get("preset")
    defaults = default_settings(name)
    out = {link.PRESET_KEY: name} if name in PRESETS and name != DEFAULT_PRESET else {}
    values = dict(settings)
    if values.get("optimizer") != "adam":
        values.pop("learning_rate", None)  # only Adam has one (its widget is hidden otherwise)
    out.update(link.encode(values, defaults))
    for own, (qkey, kind, _) in STUDIO_ONLY.items():
        value = settings.get(own)
        if value is None or value == defaults.get(own):
            continue
        if own in ("style2", "blend") and not settings.get("second"):
            continue
        if kind.startswith("sample:"):
            slugs = {shown: slug for slug, shown in sample_slugs(kind.split(":")[1]).items()}
            value = slugs.get(value, value)
        out[qkey] = link.text(own, value) if not isinstance(value, str) else value
    return out


def build_config(settings: Mapping[str, Any]) -> StyleConfig:
    """The StyleConfig of the chosen settings (not yet validated): the preset, with the studio's changes."""
    blend = (1.0 - float(settings["blend"]), float(settings["blend"])) if settings.get("second") else ()
    changes = {name: SETTINGS[name].kind(settings[name]) for name in CONFIG_FIELDS if settings.get(name) is not None}
    return preset(settings["preset"], **changes, style_blend=blend)


def weights_note(source: str) -> tuple[str, bool]:
    """(one sentence on a weight source, whether it can be used without a download)."""
    if source == "hed":
        return common.HED_NOTE, True
    if source == "imagenet":
        h5 = imagenet_file()
        if h5.exists():
            return f"Keras's original ImageNet VGG-16, found in {h5.parent}.", True
        return ("Keras's original ImageNet VGG-16 is not on this machine: Run will try to download 58 MB, "
                "which fails without internet (then use hed).", False)
    path = common.ROOT / DEFAULT_NPZ
    if path.exists() or Path(DEFAULT_NPZ).exists():
        return f"The article's vgg16_weights.npz, found in {DEFAULT_NPZ.parent}/.", True
    return (f"No {DEFAULT_NPZ} on this server: put the article's vgg16_weights.npz there "
            "(see vgg/README.md) or use hed.", False)
