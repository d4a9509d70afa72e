"""The art benchmark on a tiny gallery made from the bundled images (never the shared gallery)."""
import csv
import shutil

import numpy as np
import pytest

from nst import gallery
from nst.images import load_image, resize_to, save_png

pytestmark = pytest.mark.unit


def test_scores_mean_what_they_say(features, content_image, style_image):
    scorer = gallery.Scorer(features)
    photo = resize_to(content_image, 64)
    painting = resize_to(style_image, 64)
    assert scorer.style(painting, painting, 1) == pytest.approx(0.0, abs=1e-6)
    assert scorer.style(photo, painting, 1) > 0.05
    assert scorer.layout(photo, photo) == pytest.approx(1.0) and scorer.edges(photo, photo) == pytest.approx(1.0)
    blurred = np.repeat(np.repeat(resize_to(photo, 16), 4, 0), 4, 1)[: photo.shape[0], : photo.shape[1]]
    assert scorer.edges(blurred, photo) < 0.9  # smeared edges keep less of the photo's detail
    banded = photo.copy()
    banded[:4], banded[-4:], banded[:, :4], banded[:, -4:] = 255, 255, 255, 255
    assert scorer.border(banded) > scorer.border(photo) + 20
    noisy = np.clip(photo + np.random.default_rng(0).normal(0, 30, photo.shape), 0, 255).astype(np.uint8)
    assert scorer.fine(noisy, photo) > scorer.fine(photo, photo)


def test_gallery_run_writes_sheets_and_scores(tmp_path, capsys):
    from pathlib import Path

    assets = Path(__file__).resolve().parent.parent / "assets"
    root = tmp_path / "gallery"
    for sub in ("contents", "styles", "reference"):
        (root / sub).mkdir(parents=True)
    shutil.copy(assets / "content_chelsea.jpg", root / "contents" / "cat.jpg")
    shutil.copy(assets / "style_swirls.png", root / "styles" / "swirls.png")
    save_png(resize_to(load_image(assets / "style_swirls.png"), 64), root / "reference" / "cat__swirls.png")
    out = tmp_path / "out"
    code = gallery.main([str(root), "--size", "64", "--set", "iterations=4", "--set", "min_size=32",
                         "--pairs", "cat__swirls,cat__missing", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "cat__missing" in printed and "skipped" in printed
    rows = list(csv.DictReader(open(out / "scores.csv")))
    assert [r["who"] for r in rows] == ["ours", "ref"]
    assert float(rows[0]["seconds"]) > 0 and 0 <= float(rows[0]["style@1"]) < 10
    sheet = load_image(out / "cat__swirls.jpg")
    assert sheet.shape[0] == 512 + 28 and sheet.shape[1] > 3 * 512  # photo | painting | ours | reference
    assert load_image(out / "cat__swirls.png").shape[:2] == resize_to(load_image(assets / "content_chelsea.jpg"), 64).shape[:2]


def test_gallery_without_its_folders_is_one_line(tmp_path, capsys):
    assert gallery.main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error:")
