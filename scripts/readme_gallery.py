"""Redraw the README's small gallery: the default preset at 512 px on pairs of the bundled images.

    .venv/bin/python scripts/readme_gallery.py [--out docs/gallery]

Each picture is one contact sheet (photo | painting | result), 256 px high, as JPEG.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAIRS = (("content_chelsea.jpg", "style_swirls.png"), ("content_coffee.jpg", "style_mosaic.png"),
         ("content_astronaut.jpg", "style_waves.png"))


def main() -> int:
    from PIL import Image

    from nst.config import DEFAULT_PRESET, preset
    from nst.gallery import contact_sheet
    from nst.images import load_image
    from nst.optimize import get_features, stylize

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "gallery"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = preset(DEFAULT_PRESET)
    features = get_features(config.vgg_weights, config.pooling)
    for content_name, style_name in PAIRS:
        photo, painting = load_image(ROOT / "assets" / content_name), load_image(ROOT / "assets" / style_name)
        start = time.perf_counter()
        for event in stylize(photo, painting, config, features, image_every=0):
            pass
        seconds = time.perf_counter() - start
        sheet = contact_sheet([("photo", photo), ("painting", painting), (f"{DEFAULT_PRESET}, 512 px", event.image)],
                              height=256)
        name = f"{Path(content_name).stem.split('_', 1)[1]}__{Path(style_name).stem.split('_', 1)[1]}.jpg"
        Image.fromarray(sheet).save(out / name, quality=85)
        print(f"{name}: {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
