"""Every kind of bad or odd input image: it works, or it ends with one clear sentence."""
import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nst import images as imgs
from nst.images import MAX_ASPECT, MIN_SIDE, ImageError, load_image

pytestmark = pytest.mark.unit


def encode(image: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def photo(w=64, h=48) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x + y) % 256], -1).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def assert_one_sentence(exc: ImageError):
    text = str(exc)
    assert text and "\n" not in text and len(text) < 200 and text.endswith((".", ")"))


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"hello, this is a text file, not an image", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|damaged"),
    (b"\xff\xd8\xff\xe0" + b"garbage" * 20, "not an image|damaged"),
])
def test_unreadable_bytes(data, match):
    with pytest.raises(ImageError, match=match) as info:
        load_image(data, name="upload.png")
    assert_one_sentence(info.value)


def test_truncated_png_and_jpeg():
    for fmt in ("PNG", "JPEG"):
        data = encode(photo(200, 150), fmt)
        with pytest.raises(ImageError, match="damaged or truncated") as info:
            load_image(data[: len(data) // 2], name=f"x.{fmt.lower()}")
        assert_one_sentence(info.value)


def test_zero_byte_file_and_missing_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.jpg")
    with pytest.raises(ImageError, match="could not be found"):
        load_image(tmp_path / "missing.jpg")


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge size, with one tiny IDAT: a decompression bomb."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageError, match="too large") as info:
        load_image(_png_header_only(60000, 60000), name="bomb.png")
    assert_one_sentence(info.value)


@pytest.mark.parametrize("w,h,match", [(1, 1, "at least"), (1, 5000, "at least"), (15, 400, "at least"),
                                       (16, 1000, "long and thin"), (5000, 20, "long and thin")])
def test_tiny_and_extreme_aspect_ratios(w, h, match):
    with pytest.raises(ImageError, match=match) as info:
        load_image(encode(Image.new("RGB", (w, h), "red")))
    assert_one_sentence(info.value)


def test_limits_are_inclusive():
    assert load_image(encode(Image.new("RGB", (MIN_SIDE, MIN_SIDE)))).shape == (MIN_SIDE, MIN_SIDE, 3)
    w = int(MIN_SIDE * MAX_ASPECT)
    assert load_image(encode(Image.new("RGB", (w, MIN_SIDE)))).shape == (MIN_SIDE, w, 3)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "PA", "CMYK", "I;16", "I", "F", "1", "YCbCr", "HSV"])
def test_every_colour_mode_becomes_rgb(mode):
    base = photo()
    if mode in ("I;16", "I", "F"):
        arr = (np.asarray(base.convert("L"), np.uint16) * 257)
        image = Image.fromarray(arr.astype("<u2"))
        assert image.mode == "I;16"
        if mode != "I;16":
            image = image.convert(mode)
    else:
        image = base.convert(mode)
    fmt = {"CMYK": "JPEG", "F": "TIFF", "YCbCr": "JPEG", "HSV": "TIFF", "PA": "PNG"}.get(mode, "PNG")
    if mode == "HSV":
        rgb = load_image(image)  # PIL cannot save HSV files, but a PIL image in HSV is accepted
    else:
        try:
            data = encode(image, fmt)
        except (OSError, ValueError):
            data = encode(image, "TIFF")
        rgb = load_image(data)
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)


def test_sixteen_bit_is_scaled_not_clipped():
    arr = np.linspace(0, 65535, 64 * 48).reshape(48, 64).astype(np.uint16)
    image = Image.fromarray(arr.astype("<u2"))
    assert image.mode == "I;16"
    rgb = load_image(encode(image))
    assert rgb.min() == 0 and rgb.max() == 255


def test_transparency_is_composited_on_white():
    image = Image.new("RGBA", (32, 32), (255, 0, 0, 0))
    assert (load_image(encode(image)) == 255).all()


def test_exif_rotation_is_applied():
    image = photo(64, 32)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    rgb = load_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert rgb.shape == (64, 32, 3)


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (40, 30), c) for c in ("red", "blue", "green")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rgb = load_image(buf.getvalue())
    assert rgb.shape == (30, 40, 3) and rgb[..., 0].mean() > 200 and rgb[..., 2].mean() < 50


def test_webp_bmp_tiff_files(tmp_path):
    for fmt in ("WEBP", "BMP", "TIFF"):
        path = tmp_path / f"a.{fmt.lower()}"
        photo().save(path, format=fmt)
        assert load_image(path).shape == (48, 64, 3)


# --- property-based: anything in, an image or our own error out ------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=4096))
def test_random_bytes_give_an_image_or_our_error(data):
    try:
        rgb = load_image(data)
    except ImageError as exc:
        assert_one_sentence(exc)
    else:
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


@st.composite
def valid_images(draw):
    w = draw(st.integers(1, 300))
    h = draw(st.integers(1, 300))
    mode = draw(st.sampled_from(["RGB", "L", "RGBA", "P", "CMYK", "LA", "1"]))
    fmt = draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"]))
    seed = draw(st.integers(0, 2 ** 16))
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    image = Image.fromarray(arr, "RGB").convert(mode)
    cut = draw(st.sampled_from([None, None, None, 0.5, 0.9]))
    for attempt in (fmt, "TIFF"):
        try:
            data = encode(image, attempt)
            break
        except (OSError, ValueError, KeyError):  # that format cannot hold that mode
            continue
    else:
        data = encode(image.convert("RGB"), "PNG")
    if cut:
        data = data[: int(len(data) * cut)]
    return data, w, h


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_images())
def test_random_valid_and_cut_images(case):
    data, w, h = case
    try:
        rgb = load_image(data)
    except ImageError as exc:
        assert_one_sentence(exc)
    else:
        assert rgb.shape == (h, w, 3) and rgb.dtype == np.uint8


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    """A full disk at the last moment (fsync): the error goes up, no .tmp stays behind."""
    import errno
    import os

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        imgs.atomic_write_bytes(tmp_path / "a.png", b"x" * 1000)
    assert os.listdir(tmp_path) == []


def test_reading_stops_at_the_size_limit_and_refuses_special_files(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * 2048)
    with pytest.raises(imgs.ImageError, match="the limit is"):
        imgs.read_file_bytes(tmp_path / "big.bin", limit=1024)
    assert imgs.read_file_bytes(tmp_path / "big.bin", limit=4096) == b"x" * 2048
    with pytest.raises(imgs.ImageError, match="a device, not a regular file"):
        imgs.load_image("/dev/zero")


def test_save_image_formats(tmp_path):
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 200
    for name, fmt in (("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.webp", "WEBP"), ("a.tif", "TIFF")):
        imgs.save_image(rgb, tmp_path / name)
        with Image.open(tmp_path / name) as im:
            assert im.format == fmt and im.size == (30, 20)
    import tifffile

    sixteen = tifffile.imread(tmp_path / "a.tif")
    assert sixteen.dtype == np.uint16 and sixteen[0, 0, 0] == 200 * 257
    with pytest.raises(imgs.ImageError, match="no known image extension"):
        imgs.save_image(rgb, tmp_path / "a.bmp")
