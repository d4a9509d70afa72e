"""The art benchmark: real photos x real paintings, scored and laid side by side.

    python -m nst.gallery GALLERY_DIR [--preset NAME] [--size 512] [--set key=value ...]
                                      [--pairs a__b,c__d] [--out data/gallery]

GALLERY_DIR holds ``contents/`` (photos), ``styles/`` (paintings) and, optionally,
``reference/CONTENT__STYLE.{png,jpg}`` (another implementation's results). For every
pair this writes a contact sheet ``CONTENT__STYLE.jpg`` (photo | painting | ours |
reference) and prints one table row; ``scores.csv`` keeps the table.

The scores (all measured with a network setting the engine does not optimise: VGG-16
with *max* pooling, at the second conv layer of blocks 1-4, which no preset uses for
its style loss, on the result shrunk to three sizes):

* ``style@1``, ``style@2``, ``style@4``: how far the result's feature statistics are
  from the painting's at full, half and quarter size: per layer the relative distance
  of the Gram matrices ``|G(result) - G(painting)| / |G(painting)|`` (Frobenius), mean
  over the four layers. Lower is more of the painting's style; shrinking both images
  makes the layers see larger strokes, so the @2 and @4 columns measure large-scale
  style.
* ``layout``: correlation of the photo's and the result's luminance at 32 px (where
  the large shapes of the photo went). Higher is more of the photo's layout kept.
* ``edges``: correlation of the gradient magnitude (Sobel) of photo and result at
  256 px: a result that keeps the houses' edges crisp scores higher than one that
  smears them. Higher is more of the photo's detail kept.
* ``fine``: the finest texture (mean absolute Laplacian of the luminance, at full size)
  where the photo is flat (its gradient in the lowest 40 %), such as a sky: the repeated
  crosshatch shows up here. Lower is calmer.
* ``border``: how much the outer 4 px differ in brightness from the 12 px inside them
  (mean absolute difference of the two bands' mean luminance over the four sides): a
  bright or dark band along the borders shows up here. Lower is cleaner.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PAIRS = (  # (photo, painting); the first six have a reference result in the gallery
    ("figures", "vg_la_cafe"),
    ("figures", "vg_wheat_field"),
    ("figures", "wave_crop"),
    ("golden_gate2", "vg_la_cafe"),
    ("lion", "edtaonisl"),
    ("lion", "vg_la_cafe"),
    ("taj_mahal", "udnie"),
    ("golden_gate2", "vg_houses"),
    ("taj_mahal", "tahiti_guaguin"),
)
SCORE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv2", "block4_conv2")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


class Scorer:
    """The independent scores of one result against its photo and its painting."""

    def __init__(self, features):
        self.features = features.with_pooling("max")

    def _grams(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        from .losses import gram_matrix

        acts = self.features(self.features.preprocess(rgb), SCORE_LAYERS)
        return {k: gram_matrix(v).numpy() for k, v in acts.items()}

    def style(self, result: np.ndarray, painting: np.ndarray, factor: int) -> float:
        """Mean relative Gram distance over SCORE_LAYERS, both images shrunk by ``factor``."""
        from .images import resize_to

        size = max(result.shape[:2]) // factor
        a = self._grams(resize_to(result, size))
        b = self._grams(resize_to(painting, size))
        return float(np.mean([np.linalg.norm(a[k] - b[k]) / np.linalg.norm(b[k]) for k in SCORE_LAYERS]))

    @staticmethod
    def _luma(rgb: np.ndarray, size: int) -> np.ndarray:
        from .images import resize_to

        small = resize_to(rgb, size).astype(np.float64)
        return small @ np.array([0.299, 0.587, 0.114])

    @staticmethod
    def _corr(a: np.ndarray, b: np.ndarray) -> float:
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))

    def layout(self, result: np.ndarray, photo: np.ndarray) -> float:
        from .images import resize_exact

        photo = resize_exact(photo, *result.shape[:2])
        return self._corr(self._luma(result, 32), self._luma(photo, 32))

    def edges(self, result: np.ndarray, photo: np.ndarray) -> float:
        from scipy import ndimage

        from .images import resize_exact

        photo = resize_exact(photo, *result.shape[:2])

        def magnitude(rgb):
            y = ndimage.gaussian_filter(self._luma(rgb, 256), 1.0)
            return np.hypot(ndimage.sobel(y, 0), ndimage.sobel(y, 1))

        return self._corr(magnitude(result), magnitude(photo))

    def fine(self, result: np.ndarray, photo: np.ndarray) -> float:
        from scipy import ndimage

        from .images import resize_exact

        size = max(result.shape[:2])
        photo = resize_exact(photo, *result.shape[:2])
        y = self._luma(photo, size)
        flat = np.hypot(ndimage.sobel(y, 0), ndimage.sobel(y, 1))
        mask = ndimage.binary_erosion(flat <= np.percentile(flat, 40), iterations=3)
        lap = np.abs(ndimage.laplace(self._luma(result, size)))
        return float(lap[mask].mean()) if mask.any() else float("nan")

    def border(self, result: np.ndarray) -> float:
        y = self._luma(result, max(result.shape[:2]))
        sides = [(y[:4], y[4:16]), (y[-4:], y[-16:-4]), (y[:, :4], y[:, 4:16]), (y[:, -4:], y[:, -16:-4])]
        return float(np.mean([abs(outer.mean() - inner.mean()) for outer, inner in sides]))

    def all(self, result: np.ndarray, photo: np.ndarray, painting: np.ndarray) -> dict[str, float]:
        out = {f"style@{f}": self.style(result, painting, f) for f in (1, 2, 4)}
        out["layout"] = self.layout(result, photo)
        out["edges"] = self.edges(result, photo)
        out["fine"] = self.fine(result, photo)
        out["border"] = self.border(result)
        return out


def contact_sheet(panels: list[tuple[str, np.ndarray]], height: int = 512) -> np.ndarray:
    """The panels side by side at one height, each with its label above it."""
    from PIL import Image, ImageDraw

    from .images import resize_exact

    label_h = 28
    scaled = []
    for label, rgb in panels:
        h, w = rgb.shape[:2]
        scaled.append((label, resize_exact(rgb, height, max(1, round(w * height / h)))))
    width = sum(p.shape[1] for _, p in scaled) + 8 * (len(scaled) - 1)
    sheet = Image.new("RGB", (width, height + label_h), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for label, rgb in scaled:
        sheet.paste(Image.fromarray(rgb), (x, label_h))
        draw.text((x + 6, 7), label, fill="black", font_size=16)
        x += rgb.shape[1] + 8
    return np.asarray(sheet)


def _parse_set(items: list[str]) -> dict:
    changes = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            changes[key] = json.loads(value)
        except json.JSONDecodeError:
            changes[key] = value
        if isinstance(changes[key], list):
            changes[key] = tuple(changes[key])
    return changes


def main(argv: list[str] | None = None) -> int:
    from .config import DEFAULT_PRESET, PRESETS

    parser = argparse.ArgumentParser(prog="python -m nst.gallery", description=__doc__.split("\n\n")[0])
    parser.add_argument("gallery", help="folder with contents/, styles/ and optionally reference/")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--size", type=int, default=512, help="longest side of every result (default 512)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="change one setting of the preset (JSON value), e.g. --set beta=0.1; repeatable")
    parser.add_argument("--pairs", help="these pairs instead of the standard set, "
                                        "e.g. figures__vg_la_cafe,lion__edtaonisl (file names without extension)")
    parser.add_argument("--out", default="data/gallery", help="folder for the contact sheets (default data/gallery)")
    parser.add_argument("--reference-only", action="store_true", help="score the reference results only")
    parser.add_argument("--rescore", metavar="DIR", help="score the results already in DIR (CONTENT__STYLE.png) "
                                                         "instead of running the engine")
    args = parser.parse_args(argv)

    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from .config import preset
    from .images import ImageError, load_image, save_png
    from .optimize import get_features, stylize

    gallery = Path(args.gallery)
    if not (gallery / "contents").is_dir() or not (gallery / "styles").is_dir():
        print(f"error: {gallery} has no contents/ and styles/ folders", file=sys.stderr)
        return 2
    try:
        config = preset(args.preset, size=args.size, **_parse_set(args.set)).validate()
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pairs = list(PAIRS)
    if args.pairs:
        named = [tuple(p.split("__", 1)) for p in args.pairs.split(",") if "__" in p]
        if not named:
            print("error: --pairs takes PHOTO__PAINTING names, comma-separated", file=sys.stderr)
            return 2
        pairs = named
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    features = get_features(config.vgg_weights, config.pooling)
    scorer = Scorer(features)
    rows = []
    print(f"preset {args.preset} with {_parse_set(args.set) or 'no changes'} at {args.size} px")
    header = (f"{'pair':34s} {'who':5s} {'style@1':>8s} {'style@2':>8s} {'style@4':>8s} {'layout':>7s} {'edges':>6s} "
              f"{'fine':>6s} {'border':>6s} {'time':>7s}")
    print(header)
    for photo_name, painting_name in pairs:
        key = f"{photo_name}__{painting_name}"
        photo_path = _find(gallery / "contents", photo_name)
        painting_path = _find(gallery / "styles", painting_name)
        if photo_path is None or painting_path is None:
            print(f"{key:34s} skipped: not in {gallery}")
            continue
        try:
            photo, painting = load_image(photo_path), load_image(painting_path)
        except ImageError as exc:
            print(f"{key:34s} skipped: {exc}")
            continue
        panels = [("photo", photo), ("painting", painting)]
        results = []
        if args.rescore:
            done_path = Path(args.rescore) / f"{key}.png"
            if done_path.is_file():
                ours = load_image(done_path)
                results.append(("ours", ours, float("nan")))
                panels.append(("ours", ours))
        elif not args.reference_only:
            start = time.perf_counter()
            final = None
            for event in stylize(photo, painting, config, features, image_every=0):
                final = event
            seconds = time.perf_counter() - start
            ours = final.image
            save_png(ours, out / f"{key}.png")
            results.append(("ours", ours, seconds))
            panels.append((f"ours ({args.preset}, {seconds:.0f} s)", ours))
        ref_path = _find(gallery / "reference", key) if (gallery / "reference").is_dir() else None
        if ref_path is not None:
            from .images import resize_to

            ref = resize_to(load_image(ref_path), args.size)
            results.append(("ref", ref, float("nan")))
            panels.append(("reference", ref))
        for who, image, seconds in results:
            scores = scorer.all(image, photo, painting)
            row = {"pair": key, "who": who, **{k: round(v, 4) for k, v in scores.items()},
                   "seconds": round(seconds, 1)}
            rows.append(row)
            print(f"{key:34s} {who:5s} {scores['style@1']:8.3f} {scores['style@2']:8.3f} {scores['style@4']:8.3f} "
                  f"{scores['layout']:7.3f} {scores['edges']:6.3f} {scores['fine']:6.2f} {scores['border']:6.2f} "
                  f"{seconds:7.1f}", flush=True)
        from PIL import Image

        Image.fromarray(contact_sheet(panels)).save(out / f"{key}.jpg", quality=90)
    if rows:
        with open(out / "scores.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        for who in ("ours", "ref"):
            mine = [r for r in rows if r["who"] == who]
            if mine:
                m = {k: np.mean([r[k] for r in mine]) for k in ("style@1", "style@2", "style@4", "layout", "edges",
                                                                 "fine", "border")}
                print(f"{'mean (' + str(len(mine)) + ' pairs)':34s} {who:5s} {m['style@1']:8.3f} {m['style@2']:8.3f} "
                      f"{m['style@4']:8.3f} {m['layout']:7.3f} {m['edges']:6.3f} {m['fine']:6.2f} {m['border']:6.2f}" +
                      (f" {sum(r['seconds'] for r in mine):7.1f}" if who == "ours" and not args.rescore else ""))
        print(f"contact sheets and scores.csv in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
