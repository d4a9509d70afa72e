"""The studio's sweep, timelapse and private runs in a real browser (small runs: 64 px, a few iterations)."""
from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import assert_no_errors, wait_for_app

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 240_000  # ms: small runs, plus waiting behind others on a slow machine
FAST = "?preset=article&size=64&scales=1"  # one structure: compiled once, every run a few seconds


def open_studio(page, app_url, query: str):
    page.goto(f"{app_url}/studio{query}")
    wait_for_app(page, 120_000)
    expect(page.get_by_text("Network loaded")).to_be_visible(timeout=60_000)


def test_a_run_keeps_its_frames_plays_them_and_stays_private(new_page, app_url):
    page = new_page()
    open_studio(page, app_url, FAST + "&iters=12&every=1")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_text(re.compile(r"Finished 12 iterations"))).to_be_visible(timeout=RUN_TIMEOUT)
    wait_for_app(page)
    assert_no_errors(page)
    gen = re.search(r"Saved as (gen_\d+)", page.get_by_text(re.compile("Saved as gen_")).first.inner_text()).group(1)

    # the timelapse plays on the page (an animated WebP) and downloads as one
    player = page.locator('img[alt^="Timelapse of"]')
    expect(player.first).to_be_visible(timeout=30_000)
    assert player.first.get_attribute("src").startswith("data:image/webp;base64,")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the timelapse (animated WebP)").first.click()
    data = open(info.value.path(), "rb").read()
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "WEBP" and getattr(im, "is_animated", False) and im.n_frames >= 3, im.n_frames
    assert info.value.suggested_filename == f"{gen}_timelapse.webp"

    # another browser session does not see this run: a classroom is private by default
    other = new_page()
    open_studio(other, app_url, FAST)
    expect(other.get_by_text("No runs yet in this browser session")).to_be_visible()
    assert other.get_by_text(gen, exact=False).count() == 0
    expect(page.get_by_test_id("stImageCaption").filter(has_text=gen).first).to_be_attached()


def test_a_sweep_runs_each_value_in_turn_and_downloads_one_sheet(page, app_url, data_dir):
    open_studio(page, app_url, FAST + "&iters=6")
    values = page.get_by_role("textbox", name=re.compile("values, separated by commas"))
    values.fill("0.0001, 0.001, 0.01")
    values.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start the sweep").click()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled(timeout=30_000)
    sheet = page.get_by_role("button", name="Download the sweep as one sheet (PNG)")
    expect(sheet).to_be_visible(timeout=RUN_TIMEOUT)
    wait_for_app(page)
    assert_no_errors(page)
    for label in ("β = 0.0001", "β = 0.001", "β = 0.01"):
        expect(page.get_by_text(label, exact=True).first).to_be_visible()
    captions = page.get_by_test_id("stImageCaption").filter(has_text=re.compile(r"gen_\d+ · finished · 6 it"))
    expect(captions).to_have_count(3)
    assert page.get_by_text(re.compile(r"^total L ")).count() >= 3, "every cell shows its final loss terms"
    with page.expect_download() as info:
        sheet.click()
    with Image.open(info.value.path()) as im:
        assert im.format == "PNG" and im.width > 3 * 200 and im.height > 200, im.size
    swept = [json.loads(p.read_text()) for p in data_dir.glob("gen_*/params.json")]
    swept = [p for p in swept if "sweep" in p["inputs"]]
    assert sorted(p["config"]["beta"] for p in swept) == [0.0001, 0.001, 0.01]
    assert len({p["inputs"]["sweep"]["id"] for p in swept}) == 1, "one sweep, recorded in every run's params.json"


def test_a_sweep_with_too_few_values_says_so_in_one_sentence(page, app_url):
    open_studio(page, app_url, FAST)
    values = page.get_by_role("textbox", name=re.compile("values, separated by commas"))
    values.fill("0.001, abc")
    values.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("'abc' is not a number")).to_be_visible()
    expect(page.get_by_role("button", name="Start the sweep")).to_be_disabled()
    assert page.get_by_test_id("stException").count() == 0
