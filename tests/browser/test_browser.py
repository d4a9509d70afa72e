"""The app in a real browser: every page opens cleanly; the studio runs, stops, downloads, queues.

Runs are small (64 px, tens of iterations) so the whole file stays within a
few minutes on two CPU cores.
"""
from __future__ import annotations

import io
import json
import re
import time

from PIL import Image
import pytest
from playwright.sync_api import expect

from .conftest import assert_no_errors, wait_for_app

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 240_000  # ms: a small run, plus waiting behind others on a slow machine


def open_studio(page, app_url, query: str = ""):
    page.goto(f"{app_url}/studio{query}")
    wait_for_app(page, 120_000)
    expect(page.get_by_role("heading", name="Studio")).to_be_visible()
    # the deep link must go through app.py: the shared sidebar is there
    expect(page.get_by_text("Network loaded")).to_be_visible(timeout=60_000)


def click_run(page):
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled(timeout=30_000)


def saved_as(page) -> str:
    text = page.get_by_test_id("stAlertContainer").filter(has_text="Saved as").first.inner_text()
    return re.search(r"Saved as (gen_\d+)", text).group(1)


def test_a_shared_link_opens_the_studio_with_its_settings(page, app_url):
    """First visit of a fresh server, straight to a deep link: it must still go through app.py."""
    page.goto(f"{app_url}/studio?size=80&opt=adam&style=mosaic")
    wait_for_app(page, 120_000)
    expect(page.get_by_text("Network loaded")).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stSidebarNavLink").filter(has_text="Studio").count() == 1
    expect(page.get_by_role("slider", name="Size (px, longest side)")).to_have_value("80")
    expect(page.get_by_role("radio", name="Adam (the article's)")).to_be_checked()
    expect(page.get_by_role("combobox", name="Style", exact=True)).to_have_value("Mosaic (stained glass)")
    assert "opt=adam" in page.url
    assert_no_errors(page)


def test_every_page_loads_without_errors(page, app_url):
    page.goto(app_url)
    wait_for_app(page, 120_000)
    links = page.get_by_test_id("stSidebarNavLink")
    expect(links.first).to_be_visible(timeout=60_000)
    titles = [t.strip() for t in links.all_inner_texts()]
    assert titles[-1].endswith("Studio") and len(titles) >= 2, titles
    for i in range(len(titles)):
        links.nth(i).click()
        page.wait_for_timeout(300)
        wait_for_app(page, 180_000)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
        assert_no_errors(page)
        assert page.get_by_test_id("stHeading").count() + page.locator("h1").count() > 0, titles[i]


def test_a_small_run_shows_curves_image_and_downloads_a_png(page, app_url, data_dir):
    open_studio(page, app_url, "?size=64&iters=12&every=1")
    click_run(page)
    expect(page.get_by_text(re.compile(r"Finished 12 iterations"))).to_be_visible(timeout=RUN_TIMEOUT)
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(page.get_by_test_id("stImageCaption").filter(has_text="Result (gen_")).to_be_visible()
    gen = saved_as(page)
    params = json.loads((data_dir / gen / "params.json").read_text())
    assert params["status"] == "finished" and params["config"]["size"] == 64

    with page.expect_download() as info:
        page.get_by_role("button", name="Download the image (PNG)").first.click()
    download = info.value
    data = open(download.path(), "rb").read()
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG" and max(im.size) == 64
    assert download.suggested_filename.endswith(".png")


def test_stop_keeps_the_partial_image(page, app_url, data_dir):
    open_studio(page, app_url, "?size=64&iters=3000&every=1")
    click_run(page)
    expect(page.get_by_test_id("stImageCaption").filter(has_text="g after")).to_be_visible(timeout=RUN_TIMEOUT)
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("You stopped the run at iteration")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.get_by_test_id("stImageCaption").filter(has_text="Result (gen_")).to_be_visible()
    expect(page.get_by_role("button", name="Run")).to_be_enabled()
    gen = saved_as(page)
    params = json.loads((data_dir / gen / "params.json").read_text())
    assert params["status"] == "stopped" and 1 <= params["iterations_done"] < 3000
    assert (data_dir / gen / "result.png").exists()


def test_three_sessions_queue_and_each_get_their_own_result(new_page, app_url, data_dir):
    # runs long enough (several seconds each) that the later two are seen waiting, however fast the engine gets
    pages = [new_page() for _ in range(3)]
    for p in pages:
        open_studio(p, app_url, "?size=128&iters=80&every=5")
    started = time.monotonic()
    for p in pages:
        p.get_by_role("button", name="Run").click()
    saw_queue = False
    finished = [False] * 3
    while not all(finished):
        assert time.monotonic() - started < RUN_TIMEOUT / 1000, "a queued run never finished"
        for i, p in enumerate(pages):
            if not finished[i]:
                if p.get_by_text(re.compile(r"You are number [23] in the queue")).count():
                    saw_queue = True
                finished[i] = p.get_by_text("Finished 80 iterations").count() > 0
        pages[0].wait_for_timeout(200)
    assert saw_queue, "no session showed its place in the queue"
    gens = []
    for p in pages:
        wait_for_app(p)
        assert_no_errors(p)
        expect(p.get_by_test_id("stImageCaption").filter(has_text="Result (gen_")).to_be_visible()
        gens.append(saved_as(p))
    assert len(set(gens)) == 3, gens
    for gen in gens:
        params = json.loads((data_dir / gen / "params.json").read_text())
        assert params["status"] == "finished" and params["iterations_done"] == 80


def test_a_closed_tab_gives_its_slot_to_the_next_in_line(new_page, app_url, data_dir):
    leaver, waiter = new_page(), new_page()
    open_studio(leaver, app_url, "?size=64&iters=4000&seed=7")
    open_studio(waiter, app_url, "?size=64&iters=6")
    click_run(leaver)
    expect(leaver.get_by_test_id("stImageCaption").filter(has_text="g after")).to_be_visible(timeout=RUN_TIMEOUT)
    waiter.get_by_role("button", name="Run").click()
    expect(waiter.get_by_text(re.compile(r"You are number 2 in the queue"))).to_be_visible(timeout=30_000)
    leaver.context.close()  # the tab goes away mid-run
    expect(waiter.get_by_text("Finished 6 iterations")).to_be_visible(timeout=120_000)
    left = [json.loads(p.read_text()) for p in data_dir.glob("gen_*/params.json")]
    left = [p for p in left if p["config"]["iterations"] == 4000 and p["config"]["seed"] == 7]
    assert len(left) == 1 and left[0]["status"] == "stopped", left
    assert "tab" in left[0]["message"] and left[0]["iterations_done"] < 4000
