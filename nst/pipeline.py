"""The article's input pipeline and its results folders.

Input: a folder holding ``content_*`` and ``style_*`` images (jpg, png, tif, gif, webp, bmp);
every content x style pair is one run. Output: ``data/gen_0``, ``data/gen_1``,
... (the next free number, claimed atomically with ``mkdir`` so two runs that
finish together never share one), each with

* ``result.png``            the final image,
* ``snapshot_NNNN.png``     the image every N iterations (if asked: ``StyleConfig.snapshot_every``),
* ``params.json``           every setting plus the input names and timings,
* ``losses.csv``            every loss term at every iteration, appended as the run goes
                            (so even a killed process keeps all but its last moment).

Every other file is written to a temporary name and renamed, so a killed process
leaves no half-written PNG or JSON.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import images as imgs
from .config import StyleConfig
if TYPE_CHECKING:  # only for annotations: reading folders and writing results needs no TensorFlow
    from .optimize import Progress

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".webp", ".bmp")
GEN_PATTERN = re.compile(r"^gen_(\d+)$")


def scan_inputs(folder: str | os.PathLike) -> tuple[list[Path], list[Path], list[str]]:
    """(content files, style files, skipped) in ``folder``, sorted by name.

    Every entry named ``content_*`` or ``style_*`` is either used or named in ``skipped`` with
    the reason (not a regular file, a broken link, an unknown extension), so nothing is
    passed over without a word.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder.")
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise FileNotFoundError(f"{folder} cannot be listed ({(exc.strerror or str(exc)).lower()}).") from None
    contents, styles, skipped = [], [], []
    for p in entries:
        lower = p.name.lower()
        if not lower.startswith(("content_", "style_")):
            continue
        try:
            st = p.stat()
        except OSError:
            skipped.append(f"{p.name}: a broken link or unreadable entry")
            continue
        if stat.S_ISDIR(st.st_mode):
            continue  # a folder named content_* is not an input
        if not stat.S_ISREG(st.st_mode):
            skipped.append(f"{p.name}: not a regular file (a pipe, socket or device)")
            continue
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(f"{p.name}: not a known image type (use {', '.join(s[1:] for s in IMAGE_SUFFIXES)})")
            continue
        (contents if lower.startswith("content_") else styles).append(p)
    return contents, styles, skipped


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


@dataclass
class RunRecorder:
    """Writes one run into its ``gen_N`` folder as the progress events arrive.

    params.json's ``status`` is one of :data:`nst.optimize.STATUSES` ('running' until the run ends), or
    'failed' (:meth:`mark_failed`: the engine or the disk failed). A run that ends early for any reason
    (a signal, the Stop button, a closed tab) goes through :meth:`finish_partial`, which records the
    ``reason`` too.

    ``losses.csv`` grows by one row per iteration (flushed each time), so a process that is
    killed outright keeps every row but the last moment's. ``final_shape`` (H, W), when given,
    is the result's size: snapshots taken at a coarser scale are enlarged to it. ``meta`` goes
    into params.json as it is (the scale plan, the command line, versions...).

    "An image every N iterations" has two names, one for what is shown and one for what is kept:
    ``image_every`` is the N at which :func:`nst.optimize.stylize`'s events carry an image (the lessons
    pass 0: the last image only) and the studio's setting of the same name (its live view and timelapse;
    link key ``every``); ``StyleConfig.snapshot_every`` (``--snapshot-every``, recorded in params.json) is
    the N of the snapshot files written here (stylize's events carry an image then too, so the CLI passes
    it as its ``image_every``). A snapshot is written for an event with an image whose iteration is a
    multiple of ``snapshot_every``.
    """

    folder: Path
    config: StyleConfig
    inputs: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    final_shape: tuple | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self._csv = None
        self._columns: list[str] = []

    @classmethod
    def create(cls, config: StyleConfig, root: str | os.PathLike = "data", *, final_shape=None, meta=None,
               **inputs) -> "RunRecorder":
        recorder = cls(new_run_dir(root), config, inputs, final_shape=final_shape, meta=dict(meta or {}))
        try:
            recorder.write_params(status="running")
        except OSError:
            recorder.mark_failed("could not write params.json")
            raise
        return recorder

    def record(self, event: Progress) -> None:
        self._add_row(event)
        if event.image is not None and not event.done and self.config.snapshot_every \
                and event.iteration % self.config.snapshot_every == 0:
            image = event.image
            if self.final_shape is not None and tuple(image.shape[:2]) != tuple(self.final_shape[:2]):
                image = imgs.resize_exact(image, *self.final_shape[:2])  # a coarse scale's image, at the result's size
            imgs.save_png(image, self.folder / f"snapshot_{event.iteration:04d}.png")
        if event.done:
            self.finish(event)

    def _add_row(self, event: Progress) -> None:
        row = {"iteration": event.iteration, "elapsed_s": round(event.elapsed, 4), "scale": event.scale}
        row.update(event.losses)
        if self.rows and self.rows[-1]["iteration"] == event.iteration:
            # the final event of a stopped or diverged run repeats the last iteration: one row for it
            self.rows[-1] = row
        else:
            self.rows.append(row)
            self._append_row(row)

    def _append_row(self, row: dict) -> None:
        if self._csv is None or any(key not in self._columns for key in row):
            self.write_losses()  # (re)write the whole file with every column so far, then append
            self._columns = list(losses_columns(self.rows))
            self._csv = open(self.folder / "losses.csv", "a", newline="")
            return
        csv.DictWriter(self._csv, fieldnames=self._columns).writerow(row)
        self._csv.flush()

    def close(self) -> None:
        if self._csv is not None:
            try:
                self._csv.close()
            except OSError:
                pass
            self._csv = None

    def finish(self, event: Progress, **extra) -> None:
        """The final event: result.png (if it has an image), the whole losses.csv, params.json with its status."""
        if event.image is not None:
            imgs.save_png(event.image, self.folder / "result.png")
        self.write_losses()
        self.write_params(status=event.status, iterations_done=event.iteration, seconds=round(event.elapsed, 3),
                          message=event.message, final_losses=event.losses, **extra)

    def finish_partial(self, reason: str, final: Progress | None = None, last: Progress | None = None) -> Progress:
        """Finish a run that did not reach its last iteration, the one way for the CLI and the studio alike.

        ``reason`` says in a few words what ended it ("signal SIGTERM", "Stop button", "tab closed") and is
        recorded in params.json next to the status, which is one of :data:`nst.optimize.STATUSES`:
        'stopped', or what the engine said ('diverged'; 'finished' if it got to its last iteration after all).
        ``final`` is the engine's own final event where it handed one over (asked to stop, it gives the image
        so far and the losses); otherwise ``last``, the latest event recorded (None before the first), is made
        the final one and its image, if it carries one, kept as the result. Returns the final event.
        """
        from .optimize import coarse_note

        if final is not None:
            self._add_row(final)
            if final.status not in ("finished", "diverged"):
                final.status = "stopped"
        elif last is not None:
            image, enlarged_from, shape = last.image, None, last.shape
            if image is not None and self.final_shape is not None \
                    and tuple(image.shape[:2]) != tuple(self.final_shape[:2]):
                enlarged_from, shape = tuple(image.shape[:2]), tuple(self.final_shape[:2])
                image = imgs.resize_exact(image, *shape)  # a coarse scale's image, at the result's size
            final = dataclasses.replace(last, image=image, shape=shape, enlarged_from=enlarged_from, done=True,
                                        status="stopped", image_float=None)
        else:
            from .optimize import Progress

            final = Progress(iteration=0, total_iterations=int(self.config.iterations), losses={}, elapsed=0.0,
                             done=True, status="stopped")
        if final.status == "stopped":
            where = (f"at iteration {final.iteration} of {final.total_iterations}" if final.iteration
                     else "before its first iteration")
            kept = "; the last image is kept" if final.image is not None else ""
            final.message = f"Stopped ({reason}) {where}{kept}. {coarse_note(final)}".strip()
        self.finish(final, reason=reason)
        return final

    def params(self, **extra) -> dict:
        return {"config": self.config.to_dict(), "inputs": self.inputs, **self.meta,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.started)), **extra}

    def write_params(self, **extra) -> None:
        imgs.atomic_write_bytes(self.folder / "params.json",
                                json.dumps(self.params(**extra), indent=2, default=str).encode())

    def write_losses(self) -> None:
        self.close()
        imgs.atomic_write_bytes(self.folder / "losses.csv", losses_csv(self.rows).encode())

    def remove_temporary_files(self) -> None:
        for tmp in self.folder.glob(".*.tmp*"):
            try:
                tmp.unlink()
            except OSError:
                pass

    def mark_failed(self, message: str, **extra) -> bool:
        """Say in the folder that the run failed (a full disk, say), as far as the disk allows.

        Removes temporary files first (freeing space), then writes params.json with
        ``"status": "failed"``; if even that cannot be written, params.json is rewritten in
        place, and failing that an empty ``FAILED`` file marks the folder. True if params.json says so.
        """
        self.close()
        self.remove_temporary_files()
        params = json.dumps(self.params(status="failed", message=message,
                                        iterations_done=self.rows[-1]["iteration"] if self.rows else 0, **extra),
                            indent=2, default=str).encode()
        try:
            imgs.atomic_write_bytes(self.folder / "params.json", params)
            return True
        except OSError:
            pass
        try:  # in place: truncating the old file frees its blocks first
            with open(self.folder / "params.json", "wb") as fh:
                fh.write(params)
            return True
        except OSError:
            pass
        try:
            (self.folder / "FAILED").touch()
        except OSError:
            pass
        return False


def losses_columns(rows: list[dict]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def losses_csv(rows: list[dict]) -> str:
    """Rows of loss terms as CSV text, one column per term (union of all rows' keys, in order)."""
    columns = losses_columns(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def read_run(folder: str | os.PathLike) -> dict:
    """params.json, the losses rows and the result path of a run, finished or not."""
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
