"""Pictures made from runs, without Streamlit: live frames as JPEG, the timelapse, the sweep's sheet.

A run keeps the frames the page showed it with (``frames/NNNN.jpg`` in its
``gen_N`` folder, written as they are shown, from the same JPEG bytes the page
gets); after the run they become an animated WebP, the timelapse, ending on
``result.png``. A sweep's results become one PNG sheet: the images in a row
(or rows), each with its value and its final loss terms underneath.
"""
from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nst.viz import COLORS

FRAMES = "frames"
MAX_SAVED_FRAMES = 400      # per run; a longer run keeps its first 400 shown frames and its result
TIMELAPSE_FRAMES = 48       # frames in the animation at most (evenly spaced, the result always last)
TIMELAPSE_SIDE = 512        # the animation's longest side at most
FRAME_RE = re.compile(r"^(\d+)\.jpg$")


def jpeg_bytes(image: np.ndarray, quality: int = 85) -> bytes:
    """An RGB uint8 array as JPEG bytes (what the live view sends: a third of Streamlit's quality-100 JPEG)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def save_frame(folder: Path, iteration: int, data: bytes) -> None:
    """Keep one shown frame of a run (the caller keeps at most MAX_SAVED_FRAMES)."""
    frames = Path(folder) / FRAMES
    frames.mkdir(exist_ok=True)
    (frames / f"{iteration:05d}.jpg").write_bytes(data)  # no fsync: a lost frame costs nothing


def frame_files(folder: Path) -> list[tuple[int, Path]]:
    """(iteration, path) of a run's kept frames, in order."""
    frames = Path(folder) / FRAMES
    if not frames.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in frames.iterdir() if (m := FRAME_RE.match(p.name))]
    return sorted(found)


def pick_evenly(items: Sequence, n: int) -> list:
    """At most ``n`` items spread evenly, the first and the last always among them."""
    if len(items) <= n:
        return list(items)
    if n <= 1:
        return [items[-1]]
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def _fit(image: Image.Image, side: int, size: tuple[int, int] | None = None) -> Image.Image:
    image = image.convert("RGB")
    if size is not None and image.size != size:
        return image.resize(size, Image.LANCZOS)
    scale = side / max(image.size)
    if scale < 1:
        return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                            Image.LANCZOS)
    return image


def timelapse_webp(folder: Path, frame_ms: int = 120, hold_ms: int = 1500) -> bytes | None:
    """The run's frames and its result as an animated WebP (loops); None with fewer than 2 frames."""
    folder = Path(folder)
    paths = [p for _, p in frame_files(folder)]
    result = folder / "result.png"
    chosen = pick_evenly(paths, TIMELAPSE_FRAMES - (1 if result.exists() else 0))
    if result.exists():
        chosen.append(result)
    if len(chosen) < 2:
        return None
    with Image.open(chosen[-1]) as last:
        size = _fit(last, TIMELAPSE_SIDE).size
    frames = []
    for path in chosen:
        with Image.open(path) as im:
            frames.append(_fit(im, TIMELAPSE_SIDE, size))
    durations = [frame_ms] * (len(frames) - 1) + [hold_ms]
    buf = io.BytesIO()
    frames[0].save(buf, format="WEBP", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   quality=80, method=0)
    return buf.getvalue()


FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
ASCII = str.maketrans({"α": "alpha", "β": "beta", "·": "*", "×": "x"})


def _font(size: int):
    """(font, whether it draws Greek letters): a system TrueType font if there is one, else Pillow's own."""
    for path in FONT_FILES:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    try:
        return ImageFont.load_default(size=size), False
    except TypeError:  # Pillow without a scalable default font
        return ImageFont.load_default(), False


def _height_at(image, width: int) -> int:
    """The height of ``image`` (path or array) shown ``width`` px wide, at most ``width`` (0 without an image)."""
    if image is None:
        return 0
    if isinstance(image, (str, Path)):
        with Image.open(image) as im:
            w, h = im.size
    else:
        h, w = np.asarray(image).shape[:2]
    return min(width, round(width * h / w))


def sweep_sheet(cells: Sequence[dict], title: str, cell_side: int = 320, columns: int | None = None) -> bytes:
    """One PNG: every sweep run's image with its value and final loss terms, in a grid, titled.

    ``cells``: dicts with 'label' (the value, e.g. "β = 0.001"), 'image' (path, array or None)
    and 'lines' (short text lines: the final loss terms).
    """
    n = max(1, len(cells))
    columns = columns or min(n, 5)
    rows = math.ceil(n / columns)
    pad, title_h, line_h = 16, 40, 20
    text_lines = max((1 + len(c.get("lines", ())) for c in cells), default=1)
    box_h = max([_height_at(c.get("image"), cell_side) for c in cells] + [cell_side // 2])  # the tallest result
    cell_h = box_h + 8 + text_lines * line_h
    width = pad + columns * (cell_side + pad)
    height = title_h + pad + rows * (cell_h + pad)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    (big, greek), (small, _), (bold, _) = _font(20), _font(14), _font(16)
    text = (lambda t: str(t)) if greek else (lambda t: str(t).translate(ASCII))
    draw.text((pad, 10), text(title), fill=COLORS["total"], font=big)
    for i, cell in enumerate(cells):
        x = pad + (i % columns) * (cell_side + pad)
        y = title_h + pad + (i // columns) * (cell_h + pad)
        image = cell.get("image")
        if image is not None:
            im = Image.open(image) if isinstance(image, (str, Path)) else Image.fromarray(np.asarray(image))
            with im:
                scale = min(cell_side / im.width, box_h / im.height)  # every result at the cell's size
                im = im.convert("RGB").resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                                              Image.LANCZOS)
                sheet.paste(im, (x + (cell_side - im.width) // 2, y + (box_h - im.height) // 2))
        else:
            draw.rectangle((x, y, x + cell_side - 1, y + box_h - 1), outline=COLORS["frame"])
            draw.text((x + 10, y + box_h // 2), "not run", fill=COLORS["guide"], font=small)
        ty = y + box_h + 8
        draw.text((x, ty), text(cell.get("label", "")), fill=COLORS["total"], font=bold)
        for line in cell.get("lines", ()):
            ty += line_h
            draw.text((x, ty), text(line), fill=COLORS["ink"], font=small)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
