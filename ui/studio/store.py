"""Where runs are kept and who may see them: private by default, a shared gallery if the teacher says so.

A classroom is private by default: the studio's earlier runs are those of this
browser session only. A teacher can switch on a shared gallery, where everyone
sees everyone's runs, with ``shared_gallery = true`` in ``.streamlit/classroom.toml``
(or ``NST_SHARED_GALLERY=1`` in the server's environment). Even then a run of
someone else never shows the name of an uploaded file: a bundled picture is
named, an upload is "an uploaded picture", and params.json is shown and offered
without the names and without the session id.
"""
from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

from ui import common

CLASSROOM_TOML = common.ROOT / ".streamlit" / "classroom.toml"
UPLOAD_WORDS = "an uploaded picture"


def data_dir() -> Path:
    """Where runs are recorded: $NST_DATA_DIR if set (tests, deployments), else the repo's data/."""
    env = os.environ.get("NST_DATA_DIR", "").strip()
    return Path(env) if env else common.DATA


def shared_gallery() -> bool:
    """Whether every session sees every run: NST_SHARED_GALLERY if set, else classroom.toml, else False."""
    env = os.environ.get("NST_SHARED_GALLERY", "").strip().lower()
    if env:
        return env in ("1", "true", "yes", "on")
    try:
        with open(CLASSROOM_TOML, "rb") as fh:
            value = tomllib.load(fh).get("shared_gallery", False)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return value is True


def bundled_names() -> set[str]:
    names: set[str] = set()
    for kind in ("content", "style"):
        names.update(common.samples()[kind])
    return names


def public_name(name) -> str:
    """A picture's name as others may see it: a bundled picture's name, or 'an uploaded picture'."""
    return str(name) if str(name) in bundled_names() else UPLOAD_WORDS


def public_params(params: dict) -> dict:
    """params.json as someone else may see it: upload names replaced, no session id."""
    out = copy.deepcopy(params)
    inputs = out.get("inputs")
    if isinstance(inputs, dict):
        inputs.pop("session", None)
        if "content" in inputs:
            inputs["content"] = public_name(inputs["content"])
        if isinstance(inputs.get("styles"), list):
            inputs["styles"] = [public_name(s) for s in inputs["styles"]]
    return out


def is_mine(info: dict, mine: set[str], session: str) -> bool:
    """A run of this browser session: started here (its folder) or recorded with this session's id."""
    return str(info["folder"]) in mine or (info.get("params", {}).get("inputs", {}).get("session") == session)
