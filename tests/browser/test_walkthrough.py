"""The walkthrough in a real browser: every page on a phone, and one set of pictures for every page.

Issue 10, items 1 and 2: at 400 x 900 no page scrolls sideways, nothing sticks out past the right edge
(formulas and tables scroll inside their own box), no colour bar lies over a plot and no chart titles
over each other; a photo and a painting uploaded on one page are the pictures of every later page,
and every picker names the uploaded file.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .conftest import assert_no_errors, sync_api, wait_for_app

pytestmark = pytest.mark.browser

expect = sync_api.expect

PAGES = ["", "inside_vgg", "content", "style_gram", "dog", "loss_playground", "studio"]

# Everything a phone visitor would have to scroll sideways to read, as a list of sentences.
LAYOUT_PROBLEMS = r"""
() => {
  const W = document.documentElement.clientWidth;
  const out = [];
  const name = (el) => (el.getAttribute('data-testid') || el.className && String(el.className).slice(0, 40)
                        || el.tagName) + ' "' + (el.innerText || el.textContent || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > W + 1)
    out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide');
  const main = document.querySelector('[data-testid="stMain"]');
  if (main.scrollWidth > main.clientWidth + 1) out.push('the main area scrolls sideways');
  const clipped = (el) => {  // inside a box that scrolls or clips sideways and itself fits the screen
    for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip')
          && a.getBoundingClientRect().right <= W + 1) return true;
    }
    return false;
  };
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (r.right > W + 1 && !clipped(el)) { out.push('past the right edge (' + Math.round(r.right) + ' px): ' + name(el)); }
  }
  const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
                          * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  for (const plot of main.querySelectorAll('.js-plotly-plot')) {
    const areas = [...plot.querySelectorAll('.nsewdrag')].map(e => e.getBoundingClientRect());
    for (const bar of plot.querySelectorAll('.colorbar')) {
      const b = bar.getBoundingClientRect();
      if (areas.some(a => overlap(a, b) > 4)) out.push('a colour bar lies over a plot');
    }
    const titles = [...plot.querySelectorAll('.annotation-text, .gtitle, .g-xtitle text, .g-ytitle text')]
      .map(e => [e.textContent, e.getBoundingClientRect()]).filter(t => t[1].width > 0);
    for (let i = 0; i < titles.length; i++)
      for (let j = i + 1; j < titles.length; j++)
        if (overlap(titles[i][1], titles[j][1]) > 4)
          out.push('chart titles over each other: "' + titles[i][0] + '" and "' + titles[j][0] + '"');
  }
  // no two blocks (pictures, widgets, charts, tables, metrics) on top of each other
  const kinds = ['stImage', 'stSelectbox', 'stFileUploader', 'stSlider', 'stPlotlyChart', 'stMetric', 'stTable',
                 'stButton', 'stRadio', 'stNumberInput', 'stMultiSelect', 'stGraphVizChart', 'stDataFrame'];
  const blocks = [...main.querySelectorAll(kinds.map(k => '[data-testid="' + k + '"]').join(','))]
    .filter(e => !e.closest('details:not([open])'))  // inside a closed expander: not shown
    .map(e => [e, (e.querySelector('img') || e).getBoundingClientRect()])  // a picture: where its pixels are
    .filter(b => b[1].width > 0 && b[1].height > 0);
  for (let i = 0; i < blocks.length; i++)
    for (let j = i + 1; j < blocks.length; j++) {
      const [a, ra] = blocks[i], [b, rb] = blocks[j];
      if (a.contains(b) || b.contains(a)) continue;
      if (overlap(ra, rb) > 16) out.push('on top of each other: ' + name(a) + ' and ' + name(b));
    }
  return [...new Set(out)].slice(0, 12);
}
"""


# The smallest word of each visible page-1 diagram, in screen pixels.
DIAGRAM_TEXT_PX = """() => [...document.querySelectorAll('[data-testid=stGraphVizChart] svg')]
    .filter(s => s.getBoundingClientRect().width > 0).map(s => {
      const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
      return Math.min(...[...s.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale));
    })"""


def _settle(page) -> None:
    """The script has finished and every chart it sent has been drawn."""
    wait_for_app(page, 180_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))",
        timeout=60_000)
    page.wait_for_timeout(300)


def test_every_page_fits_a_phone_and_a_tablet(new_page, app_url):
    page = new_page()
    for width, height in ((400, 900), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        for path in PAGES:
            page.goto(f"{app_url}/{path}")
            _settle(page)
            assert_no_errors(page)
            # on a phone or tablet the sidebar starts closed: it does not cover the page
            sidebar = page.get_by_test_id("stSidebar")
            if sidebar.count():
                box = sidebar.bounding_box()
                assert box is None or box["x"] + box["width"] <= 1 or \
                    sidebar.get_attribute("aria-expanded") == "false", f"/{path} at {width} px: the sidebar covers the page"
            problems = page.evaluate(LAYOUT_PROBLEMS)
            assert not problems, f"/{path} at {width} px: " + "; ".join(problems)
    page.set_viewport_size({"width": 400, "height": 900})
    # the page-1 diagram on a phone is the vertical one, its words readable
    page.goto(app_url)
    _settle(page)
    sizes = page.evaluate(DIAGRAM_TEXT_PX)
    assert len(sizes) == 1 and sizes[0] >= 10, sizes


def test_page_one_diagram_is_readable_on_a_desktop(page, app_url):
    page.goto(app_url)
    _settle(page)
    sizes = page.evaluate(DIAGRAM_TEXT_PX)
    assert len(sizes) == 1 and sizes[0] >= 12, sizes  # the wide diagram, every word at least 12 px


def _png(seed: int, w: int = 120, h: int = 90) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([(x * 2 + seed * 40) % 256, (y * 3) % 256, rng.integers(0, 255, (h, w))], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _upload(page, name: str, data: bytes, index: int = 0) -> None:
    wait_for_app(page, 120_000)
    page.wait_for_timeout(600)  # a rerun that starts late is waited for too
    wait_for_app(page, 120_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(index).set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": data})
    expect(page.get_by_test_id("stFileChipName").nth(index)).to_contain_text(name, timeout=30_000)
    page.wait_for_timeout(400)
    wait_for_app(page, 120_000)


def _go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.wait_for_timeout(300)
    wait_for_app(page, 180_000)


def _picker_values(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('[data-testid=stSelectbox] input')].map(i => i.value)")


def test_one_set_of_pictures_for_every_page(page, app_url):
    page.goto(f"{app_url}/content")
    wait_for_app(page, 180_000)
    _upload(page, "my_photo.png", _png(1))
    assert_no_errors(page)
    assert any("my_photo.png" in v for v in _picker_values(page)), _picker_values(page)
    _go(page, "Style & the Gram matrix")
    _upload(page, "my_painting.png", _png(2))
    assert any("my_painting.png" in v for v in _picker_values(page)), _picker_values(page)
    for title, expected in [("The dog and the upside-down dog", ["my_photo.png"]),
                            ("Loss playground", ["my_photo.png", "my_painting.png"]),
                            ("Inside VGG-16", ["my_photo.png"]),
                            ("Studio", ["my_photo.png", "my_painting.png"])]:
        _go(page, title)
        assert_no_errors(page)
        values = _picker_values(page)
        for name in expected:
            assert any(name in v for v in values), (title, name, values)
            expect(page.get_by_text(name).first).to_be_visible()
    # picking a bundled picture again changes it everywhere
    _go(page, "Content")
    combo = page.get_by_role("combobox", name="Content image c (photo)")
    combo.click()
    page.get_by_role("option").filter(has_text="Chelsea").first.click()
    wait_for_app(page, 120_000)
    _go(page, "The dog and the upside-down dog")
    values = _picker_values(page)
    assert any(v.startswith("Chelsea") for v in values) and not any("my_photo.png" in v for v in values), values
