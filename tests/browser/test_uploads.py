"""Every bad upload, through the page itself: one sentence next to the uploader, nothing lost."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from .conftest import assert_no_errors, sync_api, wait_for_app

pytestmark = pytest.mark.browser

expect = sync_api.expect


def _png(image: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _bomb() -> bytes:
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def _photo(w=96, h=64, mode="RGB") -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 2 % 256, y * 3 % 256, (x + y) % 256], -1).astype(np.uint8)
    return Image.fromarray(arr, "RGB").convert(mode)


def _gif() -> bytes:
    frames = [_photo().convert("P"), _photo(96, 64).rotate(180).convert("P")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return _png(_photo(), "JPEG", exif=exif.tobytes())


GOOD_JPEG = _png(_photo(), "JPEG")

BAD = [  # (file name, bytes, words the message must contain)
    ("corrupt.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50, "cannot be decoded|not an image"),
    ("truncated.jpg", GOOD_JPEG[: len(GOOD_JPEG) // 2], "damaged or truncated"),
    ("empty.png", b"", "empty"),
    ("notes.png", b"just some text, not a picture", "not an image"),
    ("bomb.png", _bomb(), "too large"),
    ("dot.png", _png(Image.new("RGB", (1, 1))), "at least"),
    ("line.png", _png(Image.new("RGB", (1, 5000))), "at least"),
]
GOOD = [  # odd but usable: must be accepted with no error
    ("gray.png", _png(_photo(mode="L"))),
    ("rgba.png", _png(_photo(mode="RGBA"))),
    ("palette.png", _png(_photo(mode="P"))),
    ("cmyk.jpg", _png(_photo(mode="CMYK"), "JPEG")),
    ("sixteen.png", _png(Image.fromarray((np.arange(96 * 64).reshape(64, 96) * 10).astype("<u2")))),
    ("rotated.jpg", _exif_rotated()),
    ("animated.gif", _gif()),
]


def _open_inside_vgg(page, app_url):
    page.goto(f"{app_url}/inside_vgg?vgg_size=96")  # the smallest working size: each upload reruns the page
    wait_for_app(page, 180_000)
    # the page's first run (on a fresh server it also stylises with both poolings) has drawn its last part
    expect(page.get_by_text("mean activation, max pooling")).to_be_visible(timeout=180_000)
    wait_for_app(page, 180_000)
    expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]').first).to_be_attached(timeout=60_000)


def _idle(page):
    """The app has finished its script and stays finished: a rerun that starts late (a loaded machine) is
    waited for too, so the next file is not uploaded into a run that is about to be replaced."""
    wait_for_app(page, 120_000)
    page.wait_for_timeout(600)
    wait_for_app(page, 120_000)


def _upload(page, name: str, data: bytes):
    _idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        {"name": name, "mimeType": "image/png" if name.endswith("png") else "image/jpeg", "buffer": data})
    expect(page.get_by_test_id("stFileChipName").first).to_contain_text(name, timeout=30_000)
    page.wait_for_timeout(400)
    _idle(page)


def _remove(page):
    page.get_by_test_id("stFileChipDeleteBtn").first.click()
    expect(page.get_by_test_id("stFileChipName")).to_have_count(0, timeout=30_000)
    _idle(page)


def test_bad_uploads_show_one_sentence_by_the_uploader(page, app_url):
    import re

    _open_inside_vgg(page, app_url)
    uploader = page.get_by_test_id("stFileUploader").first
    for name, data, words in BAD:
        _upload(page, name, data)
        assert page.get_by_test_id("stException").count() == 0, name
        error = page.locator('[data-testid="stAlertContentError"]').first
        expect(error).to_be_visible(timeout=30_000)
        text = error.inner_text()
        assert re.search(words, text), (name, text)
        assert name in text and "Traceback" not in text, text
        # the message sits right under the uploader it is about
        up, err = uploader.bounding_box(), error.bounding_box()
        assert 0 <= err["y"] - (up["y"] + up["height"]) < 200, (name, up, err)
        # and the page still works: it fell back to the bundled picture
        expect(page.get_by_text("Using '")).to_be_visible()
        _remove(page)


def test_odd_but_valid_uploads_are_accepted(page, app_url):
    _open_inside_vgg(page, app_url)
    for name, data in GOOD:
        _upload(page, name, data)
        assert_no_errors(page)
        expect(page.get_by_test_id("stFileChipName").first).to_contain_text(name)
        expect(page.get_by_text("Using '")).to_have_count(0)
        _remove(page)
        expect(page.get_by_text("kept from before")).to_have_count(0)  # removing it forgets it


def test_an_upload_survives_a_page_switch(page, app_url):
    _open_inside_vgg(page, app_url)
    _upload(page, "my_photo.png", GOOD[0][1])
    expect(page.get_by_test_id("stFileChipName").first).to_contain_text("my_photo.png")
    # to another page and back, in the same session (the sidebar's links)
    page.get_by_test_id("stSidebarNav").get_by_text("Content", exact=True).click()
    wait_for_app(page, 120_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Inside VGG-16").click()
    wait_for_app(page, 120_000)
    assert_no_errors(page)
    expect(page.get_by_text("Using your upload")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("my_photo.png").first).to_be_visible()
    page.get_by_role("button", name="Use the bundled picture instead").click()
    wait_for_app(page, 60_000)
    expect(page.get_by_text("Using your upload")).to_have_count(0)


def test_the_upload_limit_is_said_in_the_page(page, app_url):
    _open_inside_vgg(page, app_url)
    expect(page.get_by_text("max 10 MB").first).to_be_visible()
