"""Tests for the bundled sample images (nst.samples) and the dog example (nst.toy)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst import samples, toy

pytestmark = pytest.mark.unit

REPO_ASSETS = Path(__file__).resolve().parents[1] / "assets"


@lru_cache(maxsize=None)
def _style(name: str) -> Image.Image:
    return samples.make_style(name)


# ---------------------------------------------------------------------------
# samples
# ---------------------------------------------------------------------------

def test_style_names():
    assert len(samples.STYLE_NAMES) >= 4
    for name in ("swirls", "mosaic", "composition"):
        assert name in samples.STYLE_NAMES
    assert "waves" in samples.STYLE_NAMES or "ink" in samples.STYLE_NAMES or "dots" in samples.STYLE_NAMES


@pytest.mark.parametrize("name", samples.STYLE_NAMES)
def test_style_renders_rgb_512_long_side(name):
    img = _style(name)
    assert isinstance(img, Image.Image)
    assert img.mode == "RGB"
    assert max(img.size) == 512
    assert min(img.size) >= 256


@pytest.mark.parametrize("name", samples.STYLE_NAMES)
def test_style_is_deterministic(name):
    assert samples.make_style(name).tobytes() == _style(name).tobytes()


@pytest.mark.parametrize("name", samples.STYLE_NAMES)
def test_style_is_textured_and_colourful(name):
    arr = np.asarray(_style(name), np.float32)
    # plenty of contrast overall ...
    assert arr.std() > 25
    # ... and fine texture, not flat fills: neighbouring pixels differ noticeably
    grad = np.abs(np.diff(arr, axis=1)).mean() + np.abs(np.diff(arr, axis=0)).mean()
    assert grad > 4
    # ... and colour, not grey: the channels differ
    chroma = (arr.max(axis=2) - arr.min(axis=2)).mean()
    assert chroma > 30


def test_unknown_style_raises():
    with pytest.raises(ValueError):
        samples.make_style("no-such-style")


def test_write_assets_and_list_samples(tmp_path):
    written = samples.write_assets(tmp_path)
    for name in samples.STYLE_NAMES:
        path = tmp_path / f"style_{name}.png"
        assert path in written and path.is_file()
        with Image.open(path) as img:
            assert img.convert("RGB").tobytes() == _style(name).tobytes()  # PNG is lossless
    for name in samples.CONTENT_NAMES:
        path = tmp_path / f"content_{name}.jpg"
        assert path in written and path.is_file()
        with Image.open(path) as img:
            assert img.format == "JPEG"
            assert img.mode == "RGB"
            assert max(img.size) <= 512

    found = samples.list_samples(tmp_path)
    assert set(found) == {"content", "style"}
    assert sorted(found["style"].values()) == sorted(tmp_path / f"style_{n}.png" for n in samples.STYLE_NAMES)
    assert sorted(found["content"].values()) == sorted(tmp_path / f"content_{n}.jpg" for n in samples.CONTENT_NAMES)
    # display names are readable and keep the usual order
    assert list(found["style"]) == [samples.STYLE_TITLES[n] for n in samples.STYLE_NAMES]
    assert list(found["content"]) == [samples.CONTENT_TITLES[n] for n in samples.CONTENT_NAMES]


def test_list_samples_missing_folder(tmp_path):
    assert samples.list_samples(tmp_path / "nope") == {"content": {}, "style": {}}


def test_list_samples_picks_up_extra_files(tmp_path):
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "style_my_red.png")
    Image.new("RGB", (8, 8), (0, 0, 255)).save(tmp_path / "content_blue.jpg")
    (tmp_path / "style_notes.txt").write_text("not an image")
    found = samples.list_samples(tmp_path)
    assert found["style"] == {"My red": tmp_path / "style_my_red.png"}
    assert found["content"] == {"Blue": tmp_path / "content_blue.jpg"}


def test_bundled_assets_are_present_and_small():
    found = samples.list_samples(REPO_ASSETS)
    assert len(found["style"]) >= len(samples.STYLE_NAMES)
    assert len(found["content"]) >= len(samples.CONTENT_NAMES)
    total = sum(p.stat().st_size for p in REPO_ASSETS.iterdir() if p.is_file())
    assert total < 3.5 * 1024 * 1024


def test_bundled_style_assets_match_the_code():
    for name in samples.STYLE_NAMES:
        with Image.open(REPO_ASSETS / f"style_{name}.png") as img:
            bundled = np.asarray(img.convert("RGB"), np.float32)
        fresh = np.asarray(_style(name), np.float32)
        # tolerant, so a different PIL/numpy build drawing a stroke a pixel off does not fail
        assert bundled.shape == fresh.shape
        assert np.abs(bundled - fresh).mean() < 2.0, f"assets/style_{name}.png is stale: run python -m nst.samples"


# ---------------------------------------------------------------------------
# toy: dog and upside-down dog
# ---------------------------------------------------------------------------

def test_dog_feature_map_is_binary():
    dog = toy.dog_feature_map()
    assert dog.shape == (16, 16)
    assert dog.dtype == np.float32
    assert set(np.unique(dog)) == {0.0, 1.0}
    assert 40 < dog.sum() < 200
    # not symmetric top to bottom, so flipping it really moves the dog
    assert not np.array_equal(dog, np.flipud(dog))


def test_dog_feature_map_other_size():
    dog = toy.dog_feature_map(24)
    assert dog.shape == (24, 24)
    assert set(np.unique(dog)) == {0.0, 1.0}


def test_dog_feature_maps():
    a = toy.dog_feature_maps()
    b = toy.dog_feature_maps(upside_down=True)
    assert a.shape == b.shape == (16, 16, 3)
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(a[..., 0], toy.dog_feature_map())
    np.testing.assert_array_equal(b[..., 0], np.flipud(toy.dog_feature_map()))
    for maps in (a, b):
        assert not maps[..., 1].any() and not maps[..., 2].any()


@pytest.mark.parametrize("size", [16, 24])
def test_dog_example(size):
    if size == 16:  # the default is the 16 x 16 dog
        np.testing.assert_array_equal(toy.dog_example()["maps_a"], toy.dog_example(size=16)["maps_a"])
    ex = toy.dog_example(size=size)
    dog = toy.dog_feature_map(size)
    h, w = dog.shape
    n = int(dog.sum())                      # dog pixels
    k = int((dog * np.flipud(dog)).sum())   # pixels where the dog and the flipped dog overlap

    for key in ("maps_a", "maps_b", "gram_a", "gram_b", "gram_raw_a", "gram_raw_b", "content_loss", "style_loss"):
        assert key in ex
    assert ex["gram_a"].shape == ex["gram_b"].shape == (3, 3)

    # the Gram matrix forgets where the dog is: identical, so the style loss is exactly zero
    np.testing.assert_array_equal(ex["gram_a"], ex["gram_b"])
    np.testing.assert_array_equal(ex["gram_raw_a"], ex["gram_raw_b"])
    assert ex["style_loss"] == 0.0

    # raw Gram: G_11 counts dog pixels, every other entry is 0
    expected_raw = np.zeros((3, 3), np.float32)
    expected_raw[0, 0] = n
    np.testing.assert_array_equal(ex["gram_raw_a"], expected_raw)
    # normalised Gram: divided by the number of positions M = H * W
    assert ex["gram_a"][0, 0] == pytest.approx(n / (h * w), rel=1e-6)

    # content loss by hand: the maps differ (by 1, squared 1) where exactly one of
    # dog / flipped dog is on, that is 2 (n - k) of the H * W * 3 values
    assert isinstance(ex["content_loss"], float)
    assert ex["content_loss"] > 0
    assert ex["content_loss"] == pytest.approx(2 * (n - k) / (h * w * 3), rel=1e-6)
    assert isinstance(ex["style_loss"], float)
