"""The article's input pipeline and its results folders.

Input: a folder holding ``content_*.jpg|jpeg|png`` and ``style_*.jpg|jpeg|png``;
every content x style pair is one run. Output: ``data/gen_0``, ``data/gen_1``,
... (the next free number, claimed atomically with ``mkdir`` so two runs that
finish together never share one), each with

* ``result.png``            the final image,
* ``snapshot_NNNN.png``     the image every N iterations (if asked),
* ``params.json``           every setting plus the input names and timings,
* ``losses.csv``            every loss term at every iteration.

Every file is written to a temporary name and renamed, so a killed process
leaves no half-written PNG or JSON.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from . import images as imgs
from .config import StyleConfig
if TYPE_CHECKING:  # only for annotations: reading folders and writing results needs no TensorFlow
    from .optimize import Progress

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
GEN_PATTERN = re.compile(r"^gen_(\d+)$")


def find_inputs(folder: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """(content files, style files) in ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    contents = [p for p in files if p.name.lower().startswith("content_")]
    styles = [p for p in files if p.name.lower().startswith("style_")]
    return contents, styles


def pairs(folder: str | os.PathLike, size: int) -> Iterator[tuple[Path, Path, np.ndarray, np.ndarray]]:
    """The article's generator: every (content, style) pair, loaded and scaled to ``size`` px.

    Yields (content path, style path, content RGB, style RGB). Images are loaded
    once each; a bad file raises :class:`nst.images.ImageError` naming it.
    """
    contents, styles = find_inputs(folder)
    style_images = {p: imgs.resize_to(imgs.load_image(p), size) for p in styles}
    for c in contents:
        content = imgs.resize_to(imgs.load_image(c), size)
        for s in styles:
            yield c, s, content, style_images[s]


def existing_runs(root: str | os.PathLike = "data") -> list[Path]:
    """The ``gen_N`` folders under ``root``, by N."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := GEN_PATTERN.match(p.name))]
    return [p for _, p in sorted(found)]


def new_run_dir(root: str | os.PathLike = "data") -> Path:
    """Claim the next free ``root/gen_N`` (never reusing a number, safe between processes)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    runs = existing_runs(root)
    n = int(runs[-1].name.split("_")[1]) + 1 if runs else 0
    while True:
        path = root / f"gen_{n}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def safe_name(name: str, default: str = "image") -> str:
    """A file name from a user's upload that cannot leave its folder: letters, digits, '-', '_' and '.'."""
    stem = Path(str(name).replace("\\", "/")).name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")
    return stem[:80] or default


@dataclass
class RunRecorder:
    """Writes one run into its ``gen_N`` folder as the progress events arrive."""

    folder: Path
    config: StyleConfig
    inputs: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    @classmethod
    def create(cls, config: StyleConfig, root: str | os.PathLike = "data", **inputs) -> "RunRecorder":
        recorder = cls(new_run_dir(root), config, inputs)
        recorder.write_params(status="running")
        return recorder

    def record(self, event: Progress) -> None:
        row = {"iteration": event.iteration, "elapsed_s": round(event.elapsed, 4), "scale": event.scale}
        row.update(event.losses)
        self.rows.append(row)
        if event.image is not None and not event.done and self.config.snapshot_every \
                and event.iteration % self.config.snapshot_every == 0:
            imgs.save_png(event.image, self.folder / f"snapshot_{event.iteration:04d}.png")
        if event.done:
            self.finish(event)

    def finish(self, event: Progress) -> None:
        if event.image is not None:
            imgs.save_png(event.image, self.folder / "result.png")
        self.write_losses()
        self.write_params(status=event.status, iterations_done=event.iteration, seconds=round(event.elapsed, 3),
                          message=event.message, final_losses=event.losses)

    def write_params(self, **extra) -> None:
        params = {"config": self.config.to_dict(), "inputs": self.inputs,
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.started)), **extra}
        imgs.atomic_write_bytes(self.folder / "params.json", json.dumps(params, indent=2, default=str).encode())

    def write_losses(self) -> None:
        imgs.atomic_write_bytes(self.folder / "losses.csv", losses_csv(self.rows).encode())


def losses_csv(rows: list[dict]) -> str:
    """Rows of loss terms as CSV text, one column per term (union of all rows' keys, in order)."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def read_run(folder: str | os.PathLike) -> dict:
    """params.json, the losses rows and the result path of a finished or interrupted run."""
    folder = Path(folder)
    info = {"folder": folder, "params": {}, "losses": [], "result": None, "snapshots": []}
    try:
        info["params"] = json.loads((folder / "params.json").read_text())
    except (OSError, ValueError):
        pass
    try:
        with open(folder / "losses.csv", newline="") as fh:
            info["losses"] = [{k: float(v) for k, v in row.items() if v not in ("", None)}
                              for row in csv.DictReader(fh)]
    except (OSError, ValueError):
        pass
    if (folder / "result.png").exists():
        info["result"] = folder / "result.png"
    info["snapshots"] = sorted(folder.glob("snapshot_*.png"))
    return info
