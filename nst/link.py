"""A run's settings as a link's query parameters, and back (``?preset=gatys&beta=0.01``).

The keys are the settings table's ``url`` (``nst.config.SETTINGS``): one key per setting, the
same on every page. A link names only the settings that differ from a base (the chosen
preset's values), so ``?preset=gatys`` is the gatys preset exactly and the default preset
makes no link noise. A value that cannot be used is replaced by the base's and named in a
note; a number outside what the studio's widget offers (``Setting.ui_range``) is clamped,
with a note. No Streamlit here: the studio (ui/studio/settings.py) and the tests use it.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from .config import DEFAULT_PRESET, PRESETS, SETTINGS, StyleConfig, number_text

PRESET_KEY = SETTINGS["preset"].url
LINKED = tuple(name for name, spec in SETTINGS.items() if spec.url and name != "preset")  # carried by a link


def text(name: str, value: Any) -> str:
    """A setting's value as a link writes it (a number short where that is exact: 0.001, 1e+12)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def parse_bool(raw: str) -> bool:
    """1/0, true/false, yes/no; ValueError otherwise."""
    if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
        raise ValueError(raw)
    return raw.lower() in ("1", "true", "yes")


def parse_number(key: str, raw: str, kind: type, low, high, zero: bool = False) -> tuple[Any, str | None]:
    """(number, note or None): a link's number, clamped to low..high with a note; 0 kept where ``zero``.
    ValueError (or OverflowError) when it is not a number."""
    number = float(raw)
    if math.isnan(number):
        raise ValueError(raw)
    value = int(round(number)) if kind is int else number
    if zero and value == 0:
        return value, None
    if (low is not None and value < low) or (high is not None and value > high):
        clamped = min(max(value, low if low is not None else value), high if high is not None else value)
        clamped = kind(clamped)
        return clamped, (f"The link's {key}={raw} is outside {number_text(low)}..{number_text(high)}; "
                         f"using {number_text(clamped)}.")
    return value, None


def parse(name: str, raw: str) -> tuple[Any, str | None]:
    """(value, note or None) from a link's text; ValueError (or OverflowError) when it cannot be used."""
    spec = SETTINGS[name]
    raw = str(raw).strip()
    if spec.choices:
        if raw not in spec.picks:
            raise ValueError(raw)
        return raw, None
    if spec.kind is bool:
        return parse_bool(raw), None
    return parse_number(spec.url, raw, spec.kind, *spec.ui_range, zero=bool(spec.zero))


def unusable_note(key: str, raw: str, used: Any, choices=()) -> str:
    """The note for a link value that cannot be used (any page's own link keys too)."""
    listed = f" (one of {', '.join(choices)})" if choices else ""
    return f"The link's {key}={str(raw).strip()!r} is not a valid value{listed}; using {used}."


def invalid_note(name: str, raw: str, used: Any) -> str:
    spec = SETTINGS[name]
    return unusable_note(spec.url, raw, used, spec.picks if spec.choices else ())


def encode(values: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, str]:
    """{key: text} for every linked setting in ``values`` that differs from ``base``."""
    return {SETTINGS[name].url: text(name, values[name]) for name in LINKED
            if name in values and values[name] is not None and values[name] != base.get(name)}


def decode(params: Mapping[str, Any], base: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """(base's linked settings with the link's values on top, notes on what could not be used)."""
    values = {name: base[name] for name in LINKED if name in base}
    notes: list[str] = []
    for name in LINKED:
        key = SETTINGS[name].url
        if key not in params:
            continue
        try:
            values[name], note = parse(name, params[key])
        except (ValueError, OverflowError):
            notes.append(invalid_note(name, params[key], values.get(name)))
            continue
        if note:
            notes.append(note)
    return values, notes


def link_preset(params: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The preset a link names (the default preset when it names none, or one that does not exist)."""
    if PRESET_KEY not in params:
        return DEFAULT_PRESET, []
    raw = str(params[PRESET_KEY]).strip()
    if raw in PRESETS:
        return raw, []
    return DEFAULT_PRESET, [invalid_note("preset", raw, DEFAULT_PRESET)]


def config_values(config: StyleConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in LINKED}


def to_query(config: StyleConfig) -> dict[str, str]:
    """A run's link: its preset (unless the default one) and the linked settings that differ from it."""
    name = config.preset if config.preset in PRESETS else DEFAULT_PRESET
    out = {PRESET_KEY: name} if name != DEFAULT_PRESET else {}
    out.update(encode(config_values(config), config_values(PRESETS[name])))
    return out


def from_query(params: Mapping[str, Any]) -> tuple[StyleConfig, list[str]]:
    """(the run a link describes: its preset with the link's settings, notes on what could not be used)."""
    name, notes = link_preset(params)
    base = PRESETS[name]
    values, more = decode(params, config_values(base))
    return base.replace(**values), notes + more
